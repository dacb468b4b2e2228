//! "Deals": the account's open deals (closed ones left out by the CRM's own pipeline
//! metadata), each with its pipeline's stages and its amount in its own currency; the submit
//! writes only what the user changed, once per (follow-up, deal, change).

use app::ui::crm::{Choice, DealRow, deals};
use app::ui::editor::Banner;
use connectors::crms::Ready;
use followup::Session;
use followup::crm::{Account, Amount, CrmError, Deal, DealId, DealUpdate, Pipeline, StageId};
use tenant::idempotency::Once;
use tenant::job::{AccountUse, DealEdit};
use tenant::ports::LedgerKey;
use tenant::{JobEnvelope, Secret, UserId};
use tracing::info;

use super::account::Resolved;
use super::{Failed, crm_settle};
use crate::Worker;
use crate::error::JobError;

fn rows(found: &[Deal], pipelines: &[Pipeline]) -> Vec<DealRow> {
    found
        .iter()
        .map(|deal| {
            let pipeline = pipelines.iter().find(|p| p.id == deal.pipeline);
            DealRow {
                id: deal.id.as_str().to_owned(),
                name: deal.name.clone(),
                pipeline: pipeline.map(|p| p.label.clone()).unwrap_or_default(),
                stage: deal.stage.as_str().to_owned(),
                stages: pipeline
                    .map(|p| {
                        p.stages
                            .iter()
                            .map(|s| Choice {
                                value: s.id.as_str().to_owned(),
                                label: if s.closed {
                                    format!("{} (closes the deal)", s.label)
                                } else {
                                    s.label.clone()
                                },
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                amount: deal.amount.as_ref().map(|a| a.as_str().to_owned()),
                currency: deal.currency.clone(),
                link: deal.link.clone(),
            }
        })
        .collect()
}

/// What an edit changes on `deal`: the stage if another one of its own pipeline was chosen,
/// the amount if a different value was typed. `None`: nothing to write.
fn change_of(edit: &DealEdit, deal: &Deal, pipelines: &[Pipeline]) -> Option<DealUpdate> {
    let stages = pipelines
        .iter()
        .find(|p| p.id == deal.pipeline)
        .map(|p| p.stages.as_slice())
        .unwrap_or_default();
    let stage = edit
        .stage
        .as_deref()
        .filter(|s| *s != deal.stage.as_str())
        .and_then(|s| stages.iter().find(|st| st.id.as_str() == s))
        .map(|st| st.id.clone());
    let amount = edit
        .amount
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .and_then(|a| Amount::parse(a).ok())
        .filter(|a| deal.amount.as_ref().is_none_or(|old| !old.same_value(a)));
    let update = DealUpdate { stage, amount };
    (!update.is_empty()).then_some(update)
}

/// The ledger key of one deal change of one submit (`job`): a redelivered submit writes it
/// once, while a later submit making the same change again (moved back, then forth) is a
/// change of its own and is written.
fn update_key(
    session: &Session,
    job: &dyn std::fmt::Display,
    deal: &DealId,
    update: &DealUpdate,
) -> LedgerKey {
    LedgerKey::Effect(format!(
        "crm-deal#{}#{}#{job}#{}#{}#{}",
        session.user,
        session.recording,
        deal,
        update.stage.as_ref().map_or("", StageId::as_str),
        update.amount.as_ref().map_or("", Amount::as_str),
    ))
}

impl Worker {
    /// "Deals" pressed (or the chooser's pick): the account first, then its deals.
    pub(super) async fn crm_show_deals(
        &self,
        job: &JobEnvelope,
        token: &Secret,
        view_id: &str,
        session: &Session,
        banner: Option<Banner>,
    ) -> Result<(), JobError> {
        let user = session.user.clone();
        let ready = match self.crm_ready(job, &user).await? {
            Ok(ready) => ready,
            Err(banner) => return self.back_to_editor(token, view_id, session, banner).await,
        };
        match self.crm_account(job, &ready, session).await? {
            Ok(Resolved::Found(account)) => {
                self.deals_of(
                    job, token, view_id, &user, session, &ready, &account, banner,
                )
                .await
            }
            Ok(Resolved::Choose { prompt, candidates }) => {
                self.show_chooser(
                    token,
                    view_id,
                    session,
                    AccountUse::Deals,
                    ready.kind.name(),
                    &prompt,
                    &candidates,
                )
                .await
            }
            Err(err) => {
                self.crm_error_in_editor(job, token, view_id, session, &ready, err, "the deals")
                    .await
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) async fn deals_of(
        &self,
        job: &JobEnvelope,
        token: &Secret,
        view_id: &str,
        user: &UserId,
        session: &Session,
        ready: &Ready<'_>,
        account: &Account,
        banner: Option<Banner>,
    ) -> Result<(), JobError> {
        let listed = match self.deals_and_pipelines(ready, account).await {
            Ok(listed) => listed,
            Err(err) => {
                return match self
                    .crm_failed(job, user, ready.kind, err, "the deals")
                    .await?
                {
                    Failed::Banner(b) => self.back_to_editor(token, view_id, session, b).await,
                    Failed::Retry(e) => Err(e),
                };
            }
        };
        let view = deals(
            &session.recording.to_string(),
            ready.kind.name(),
            (&account.name, &account.link),
            &rows(&listed.0, &listed.1),
            banner.as_ref(),
        );
        self.web.update_view(token, view_id, None, &view).await?;
        Ok(())
    }

    async fn deals_and_pipelines(
        &self,
        ready: &Ready<'_>,
        account: &Account,
    ) -> Result<(Vec<Deal>, Vec<Pipeline>), CrmError> {
        let found = ready.crm.open_deals(&ready.access, &account.id).await?;
        let pipelines = ready.crm.pipelines(&ready.access).await?;
        Ok((found, pipelines))
    }

    /// The deals modal's submit: each change written once, then the deals shown again with
    /// what was done (or why not).
    pub(crate) async fn crm_update_deals(
        &self,
        job: &JobEnvelope,
        user: &UserId,
        view_id: &str,
        recording: u64,
        edits: &[DealEdit],
    ) -> Result<(), JobError> {
        let token = self.bot_token(job).await?;
        let Some(session) = self.own_session(job, user, recording).await? else {
            return self.gone(&token, view_id).await;
        };
        let ready = match self.crm_ready(job, user).await? {
            Ok(ready) => ready,
            Err(banner) => return self.back_to_editor(&token, view_id, &session, banner).await,
        };
        let account = match self.crm_account(job, &ready, &session).await? {
            Ok(Resolved::Found(account)) => account,
            // The mapping went (a disconnect) between the two modals: pick again.
            Ok(Resolved::Choose { .. }) => {
                return self
                    .crm_show_deals(job, &token, view_id, &session, None)
                    .await;
            }
            Err(err) => {
                return self
                    .crm_error_in_editor(job, &token, view_id, &session, &ready, err, "the deals")
                    .await;
            }
        };
        // The deals as the CRM has them now: only an open deal of this account is written
        // (an id from the browser naming anything else is ignored), and only what changed.
        let (current, pipelines) = match self.deals_and_pipelines(&ready, &account).await {
            Ok(listed) => listed,
            Err(err) => {
                return self
                    .crm_error_in_editor(job, &token, view_id, &session, &ready, err, "the deals")
                    .await;
            }
        };
        let mut done = Vec::new();
        let mut failed: Option<Banner> = None;
        for edit in edits {
            let Some(deal) = current.iter().find(|d| d.id.as_str() == edit.deal) else {
                continue;
            };
            let Some(update) = change_of(edit, deal, &pipelines) else {
                continue;
            };
            let key = update_key(&session, &job.id, &deal.id, &update);
            let ran = self
                // A stage or amount update is idempotent at the CRM: writing the same values
                // again after an unknown outcome (a recovery) changes nothing, so it is not
                // told apart from a first try.
                .effect_once(job, key, |_attempt| {
                    let update = update.clone();
                    let ready = &ready;
                    async move {
                        crm_settle(
                            ready
                                .crm
                                .update_deal(&ready.access, &deal.id, &update)
                                .await,
                        )
                    }
                })
                .await?;
            match ran {
                Once::Ran(Ok(_)) | Once::AlreadyDone { .. } => done.push(deal.name.clone()),
                Once::Busy => return Err(JobError::StepBusy),
                Once::Ran(Err(err)) => {
                    match self
                        .crm_failed(job, user, ready.kind, err, "the deal")
                        .await?
                    {
                        Failed::Banner(banner) => {
                            failed = Some(banner);
                            break;
                        }
                        Failed::Retry(err) => return Err(err),
                    }
                }
            }
        }
        info!(updated = done.len(), "deals updated");
        let banner = failed.unwrap_or_else(|| match done.as_slice() {
            [] => Banner::Done {
                text: "Nothing changed".into(),
                link: None,
            },
            names => Banner::Done {
                text: format!("Updated in {}: {}", ready.kind, names.join(", ")),
                link: Some((format!("Open {}", account.name), account.link.clone())),
            },
        });
        self.deals_of(
            job,
            &token,
            view_id,
            user,
            &session,
            &ready,
            &account,
            Some(banner),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use followup::crm::{PipelineId, Stage};

    use super::*;

    fn pipeline() -> Vec<Pipeline> {
        let stage = |id: &str, closed| Stage {
            id: StageId::parse(id).unwrap(),
            label: id.to_uppercase(),
            closed,
        };
        vec![Pipeline {
            id: PipelineId::parse("p1").unwrap(),
            label: "Sales".into(),
            stages: vec![stage("s1", false), stage("s2", false), stage("won", true)],
        }]
    }

    fn deal() -> Deal {
        Deal {
            id: DealId::parse("d1").unwrap(),
            name: "Acme".into(),
            pipeline: PipelineId::parse("p1").unwrap(),
            stage: StageId::parse("s1").unwrap(),
            amount: Some(Amount::parse("1500").unwrap()),
            currency: Some("EUR".into()),
            link: "https://crm.example/d1".into(),
        }
    }

    fn edit(stage: &str, amount: &str) -> DealEdit {
        DealEdit {
            deal: "d1".into(),
            stage: Some(stage.into()),
            amount: Some(amount.into()),
        }
    }

    #[test]
    fn only_what_the_user_changed_is_written() {
        let (deal, pipelines) = (deal(), pipeline());
        assert_eq!(change_of(&edit("s1", "1500.00"), &deal, &pipelines), None);
        let moved = change_of(&edit("s2", "1500"), &deal, &pipelines).unwrap();
        assert_eq!(moved.stage.unwrap().as_str(), "s2");
        assert!(moved.amount.is_none());
        let priced = change_of(&edit("s1", "2000,50"), &deal, &pipelines).unwrap();
        assert_eq!(priced.amount.unwrap().as_str(), "2000.50");
        // A stage of no pipeline of this deal (forged) is not written.
        assert_eq!(change_of(&edit("other", "1500"), &deal, &pipelines), None);
    }

    #[test]
    fn closed_stages_are_offered_and_say_they_close_the_deal() {
        let shown = rows(&[deal()], &pipeline());
        let labels: Vec<_> = shown[0].stages.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(labels, ["S1", "S2", "WON (closes the deal)"]);
        assert_eq!(shown[0].pipeline, "Sales");
    }
}
