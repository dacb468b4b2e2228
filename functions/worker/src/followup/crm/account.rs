//! Which account a follow-up is about: the workspace's mapping first (a user's pick or an
//! earlier clear match), then every external attendee's domain through the CRM's search, then
//! an exact name; anything less clear is the user's pick, saved as a verified mapping.

use app::ui::crm::{Choice, account_chooser};
use app::ui::editor::Banner;
use connectors::crms::Ready;
use followup::Session;
use followup::crm::account::{MatchKind, Resolution, rank, resolve};
use followup::crm::{Account, AccountId, CrmError, Domain};
use followup::ports::{AccountMapping, MappingSource};
use tenant::job::AccountUse;
use tenant::{JobEnvelope, Secret, UserId};
use tracing::info;

use super::Failed;
use crate::Worker;
use crate::error::JobError;
use crate::followup::editor::GONE;

/// At most this many name searches (one per attendee domain) when no website matched.
const MAX_NAME_SEARCHES: usize = 3;

/// The domains a session's external attendees write from, free-mail ones left out, each
/// once, in attendee order.
pub(super) fn session_domains(session: &Session) -> Vec<Domain> {
    let mut domains: Vec<Domain> = Vec::new();
    for mailbox in &session.recipients {
        if let Ok(domain) = Domain::of_email(mailbox.address.as_str())
            && !domain.is_free_mail()
            && !domains.contains(&domain)
        {
            domains.push(domain);
        }
    }
    domains
}

/// The company name a domain suggests (`acme` for `acme.co.uk`), for the name search.
fn name_hint(domain: &Domain) -> String {
    domain
        .as_str()
        .split('.')
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// What the search decided.
pub(super) enum Resolved {
    Found(Account),
    /// The user picks: why, and the candidates (best first; none when nothing matched).
    Choose {
        prompt: String,
        candidates: Vec<Choice>,
    },
}

/// The account name in an option's text ([`label`]'s `Name · domain`, or a bare name).
fn name_of_label(label: &str) -> Option<String> {
    let name = label
        .rsplit_once(" · ")
        .map_or(label, |(name, _)| name)
        .trim();
    (!name.is_empty()).then(|| name.to_owned())
}

fn label(account: &Account) -> String {
    match &account.domain {
        Some(domain) => format!("{} · {domain}", account.name),
        None => account.name.clone(),
    }
}

impl Worker {
    /// The account of `session` in the connected CRM (see the module doc).
    pub(super) async fn crm_account(
        &self,
        job: &JobEnvelope,
        ready: &Ready<'_>,
        session: &Session,
    ) -> Result<Result<Resolved, CrmError>, JobError> {
        let directory = self.crm_parts()?.directory.as_ref();
        let crm = ready.kind;
        let domains = session_domains(session);
        for domain in &domains {
            if let Some(mapping) = directory.mapping(&job.tenant, crm, domain).await? {
                directory.mapping_used(&job.tenant, crm, domain).await?;
                info!(source = ?mapping.source, verified = mapping.verified, "account from the mapping");
                return Ok(Ok(Resolved::Found(Account {
                    id: mapping.account,
                    name: mapping.account_name,
                    domain: Some(mapping.domain.as_str().to_owned()),
                    link: mapping.link,
                })));
            }
        }
        if domains.is_empty() {
            return Ok(Ok(Resolved::Choose {
                prompt: format!(
                    "Nobody from outside your company was on this meeting's invite, so there \
                     is no domain to look for in {crm}. Search for the account:"
                ),
                candidates: Vec::new(),
            }));
        }
        let mut found = match ready
            .crm
            .find_accounts_by_domains(&ready.access, &domains)
            .await
        {
            Ok(found) => found,
            Err(err) => return Ok(Err(err)),
        };
        let names: Vec<String> = domains.iter().map(name_hint).collect();
        let by_domain = !rank(&domains, &[], found.clone()).is_empty();
        if !by_domain {
            for name in names.iter().take(MAX_NAME_SEARCHES) {
                match ready.crm.search_accounts(&ready.access, name).await {
                    Ok(more) => found.extend(more),
                    Err(err) => return Ok(Err(err)),
                }
            }
        }
        let ranked = rank(&domains, &names, found);
        let shown = domains
            .iter()
            .map(Domain::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        Ok(Ok(match resolve(ranked) {
            Resolution::Found(account) => {
                let by = if account
                    .domain
                    .as_deref()
                    .and_then(|d| Domain::parse(d).ok())
                    .is_some_and(|d| domains.contains(&d))
                {
                    MatchKind::Domain
                } else {
                    MatchKind::ExactName
                };
                self.remember(job, ready, &domains, &account, by, false)
                    .await?;
                Resolved::Found(account)
            }
            Resolution::Choose(ranked) => Resolved::Choose {
                prompt: format!(
                    "More than one account in {crm} could be the one for {shown}: pick the \
                     one this meeting was with."
                ),
                candidates: ranked
                    .iter()
                    .map(|r| Choice {
                        value: r.account.id.as_str().to_owned(),
                        label: label(&r.account),
                    })
                    .collect(),
            },
            Resolution::NoMatch => Resolved::Choose {
                prompt: format!("No account in {crm} has the website {shown}. Search for it:"),
                candidates: Vec::new(),
            },
        }))
    }

    /// Saves `account` as the mapping of the session's domain it matched (or its first one):
    /// verified when a user picked it, which no later automatic match replaces.
    async fn remember(
        &self,
        job: &JobEnvelope,
        ready: &Ready<'_>,
        domains: &[Domain],
        account: &Account,
        by: MatchKind,
        picked: bool,
    ) -> Result<(), JobError> {
        let own = account
            .domain
            .as_deref()
            .and_then(|d| Domain::parse(d).ok())
            .filter(|d| domains.contains(d));
        let Some(domain) = own.or_else(|| domains.first().cloned()) else {
            return Ok(());
        };
        let (source, confidence) = match (picked, by) {
            (true, _) => (MappingSource::UserPick, 100),
            (false, MatchKind::Domain) => (MappingSource::Domain, 100),
            (false, _) => (MappingSource::Name, 70),
        };
        let mapping = AccountMapping {
            domain,
            account: account.id.clone(),
            account_name: account.name.clone(),
            link: account.link.clone(),
            source,
            confidence,
            times_used: 1,
            verified: picked,
            updated_at: self.clock.unix_secs(),
        };
        let saved = self
            .crm_parts()?
            .directory
            .save_mapping(&job.tenant, ready.kind, &mapping)
            .await?;
        info!(saved, ?source, "account mapping");
        Ok(())
    }

    /// The chooser in place of the current view.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn show_chooser(
        &self,
        token: &Secret,
        view_id: &str,
        session: &Session,
        then: AccountUse,
        crm: &str,
        prompt: &str,
        candidates: &[Choice],
    ) -> Result<(), JobError> {
        let view = account_chooser(
            &session.recording.to_string(),
            then.as_str(),
            crm,
            prompt,
            candidates,
        );
        self.web.update_view(token, view_id, None, &view).await?;
        Ok(())
    }

    /// The chooser's submit: the picked account (its id, and the label the select showed),
    /// checked against the CRM (it must be one this workspace's connection can see), saved as
    /// the verified mapping of the meeting's domains, then used.
    pub(crate) async fn crm_account_picked(
        &self,
        job: &JobEnvelope,
        user: &UserId,
        view_id: &str,
        recording: u64,
        then: AccountUse,
        (account, label): (&str, &str),
    ) -> Result<(), JobError> {
        let token = self.bot_token(job).await?;
        let Some(session) = self.own_session(job, user, recording).await? else {
            return self.gone(&token, view_id).await;
        };
        let ready = match self.crm_ready(job, user).await? {
            Ok(ready) => ready,
            Err(banner) => return self.back_to_editor(&token, view_id, &session, banner).await,
        };
        let Ok(id) = AccountId::parse(account) else {
            return Err(JobError::BadPayload("not an account id"));
        };
        // The pick is an id from the browser: look it up with this workspace's own access, so
        // a forged id of another workspace's record is refused like a missing one.
        let account = match self.account_by_id(&ready, &session, &id, label).await {
            Ok(Some(account)) => account,
            Ok(None) => {
                // Deleted or merged since, or not this workspace's: the chooser again (its
                // search), saying so, so that "pick again" is something the user can do.
                let prompt = format!(
                    "{} has no such account any more (deleted or merged?): search for the \
                     account this meeting was with.",
                    ready.kind
                );
                return self
                    .show_chooser(
                        &token,
                        view_id,
                        &session,
                        then,
                        ready.kind.name(),
                        &prompt,
                        &[],
                    )
                    .await;
            }
            Err(err) => {
                return match self
                    .crm_failed(job, user, ready.kind, err, "the account")
                    .await?
                {
                    Failed::Banner(b) => self.back_to_editor(&token, view_id, &session, b).await,
                    Failed::Retry(e) => Err(e),
                };
            }
        };
        let domains = session_domains(&session);
        self.remember(job, &ready, &domains, &account, MatchKind::Domain, true)
            .await?;
        match then {
            AccountUse::Note => {
                self.note_on(job, &token, view_id, user, &session, &ready, &account)
                    .await
            }
            AccountUse::Deals => {
                self.deals_of(job, &token, view_id, user, &session, &ready, &account, None)
                    .await
            }
        }
    }

    /// The account `id` as this connection sees it (the port has no look-up by id): among
    /// the attendee domains' search results, then the name searches the chooser's candidates
    /// came from, then a search by the name the select showed (`label`: the chooser's own
    /// search finds accounts of any domain). An id none of these finds is not this
    /// workspace's to use.
    async fn account_by_id(
        &self,
        ready: &Ready<'_>,
        session: &Session,
        id: &AccountId,
        label: &str,
    ) -> Result<Option<Account>, CrmError> {
        let domains = session_domains(session);
        let mut seen = ready
            .crm
            .find_accounts_by_domains(&ready.access, &domains)
            .await?;
        if let Some(found) = seen.iter().find(|a| &a.id == id) {
            return Ok(Some(found.clone()));
        }
        let shown = name_of_label(label);
        let names = domains.iter().map(name_hint).take(MAX_NAME_SEARCHES);
        for name in names.chain(shown) {
            seen = ready.crm.search_accounts(&ready.access, &name).await?;
            if let Some(found) = seen.iter().find(|a| &a.id == id) {
                return Ok(Some(found.clone()));
            }
        }
        Ok(None)
    }

    /// The user's own session of `recording` (the key is always the user who asked).
    pub(super) async fn own_session(
        &self,
        job: &JobEnvelope,
        user: &UserId,
        recording: u64,
    ) -> Result<Option<Session>, JobError> {
        let followup = self.followup()?;
        let key = followup::SessionKey::new(
            job.tenant.clone(),
            user.clone(),
            followup::RecordingId::new(recording),
        );
        Ok(followup
            .sessions
            .get(&key, self.now())
            .await?
            .map(|v| v.value))
    }

    pub(super) async fn gone(&self, token: &Secret, view_id: &str) -> Result<(), JobError> {
        self.web
            .update_view(
                token,
                view_id,
                None,
                &app::ui::modals::notice("Follow-up", GONE),
            )
            .await?;
        Ok(())
    }

    /// The edit modal again, with `banner` (the session's texts in it).
    pub(super) async fn back_to_editor(
        &self,
        token: &Secret,
        view_id: &str,
        session: &Session,
        banner: Banner,
    ) -> Result<(), JobError> {
        self.editor_with_banner(token, view_id, session, banner)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_is_read_back_from_an_options_text() {
        assert_eq!(
            name_of_label("Umbrella Group · umbrella.example").as_deref(),
            Some("Umbrella Group")
        );
        assert_eq!(
            name_of_label("A · B · b.example").as_deref(),
            Some("A · B"),
            "a name with the separator in it"
        );
        assert_eq!(name_of_label("Umbrella").as_deref(), Some("Umbrella"));
        assert_eq!(name_of_label("  ").as_deref(), None);
    }
}
