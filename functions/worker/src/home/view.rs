//! The App Home view: one user's own page in one workspace. The workspace block (status,
//! plan) is the same for everyone; connections, this month's use and recent follow-ups are the
//! user's (their credentials, their sessions), gathered by [`super`] and rendered here as
//! Block Kit. Pure: no ports, so every state is unit-tested (`view_tests.rs`).
//!
//! Slack limits honoured (slack-ui.md §8): at most 100 blocks, section text ≤ 3000, button
//! text ≤ 75, confirm texts ≤ 300. Meeting titles are escaped mrkdwn (they are the customer's
//! words) and cut.

use app::ui::{escape_mrkdwn, ids, truncate};
use followup::service::UserZone;
use followup::{Session, SessionStatus};
use jiff::Timestamp;
use serde_json::{Value, json};
use tenant::credential::Provider;
use tenant::{Tenant, TenantStatus};

/// How many recent follow-ups the Home lists.
pub(crate) const RECENT: usize = 5;

/// A meeting title as the Home shows it, at most this many characters.
const MAX_TITLE: usize = 100;

/// How the user's Fathom account is connected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FathomLink {
    NotConnected,
    /// A pasted API key.
    ApiKey,
    /// A Fathom OAuth grant.
    OAuth,
}

/// Whether the user connected Google, and as whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum GoogleLink {
    NotConnected,
    /// `email`: the account, from the credential's metadata when the connect flow kept it.
    Connected {
        email: Option<String>,
    },
}

/// The tenant's follow-ups this month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MonthUse {
    pub used: u64,
    /// The plan's monthly limit; `None`: unlimited.
    pub limit: Option<u64>,
    /// When the month's count starts again (the 1st, 00:00 UTC: the counter's month).
    pub resets_at: Timestamp,
}

/// The workspace's CRM as the Home shows it (the same for every user; only admins get the
/// button to manage it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CrmLine {
    /// The default CRM's name and whether it is broken; `None`: none connected.
    pub default: Option<(&'static str, bool)>,
    pub admin: bool,
}

/// Everything one user's Home shows.
pub(crate) struct HomePage<'a> {
    pub tenant: &'a Tenant,
    /// The user's zone: dates and the reset time are shown in it.
    pub zone: &'a UserZone,
    pub fathom: FathomLink,
    pub google: GoogleLink,
    /// Where "Connect Google" leads: a signed, short-lived link bound to this user (built by
    /// the connect flow). `None` until that is available: the Home says Google is not enabled.
    pub google_connect_url: Option<String>,
    /// Whether the user turned automatic follow-ups on; `None`: this build does not offer
    /// them, and the line is left out.
    pub auto_followups: Option<bool>,
    /// `None`: this build has no CRM actions.
    pub crm: Option<CrmLine>,
    pub month: MonthUse,
    /// The user's own recent sessions, newest first (at most [`RECENT`] are shown).
    pub recent: &'a [Session],
}

/// The Home tab view for `page`, as views.publish takes it.
pub(crate) fn home_view(page: &HomePage<'_>) -> Value {
    let mut blocks = vec![
        header("Switchboard"),
        section(
            "Turn meetings into follow-ups: a summary, a follow-up email and CRM notes and \
             tasks, right from Slack.",
        ),
        workspace(page.tenant),
        divider(),
        header("Your connections"),
        fathom(page.fathom),
        google(&page.google, page.google_connect_url.as_deref()),
    ];
    if let Some(on) = page.auto_followups {
        blocks.push(auto_followups(on));
    }
    if let Some(line) = &page.crm {
        blocks.push(crm(line));
    }
    blocks.push(divider());
    blocks.push(header("This month"));
    blocks.push(month(page.tenant, page.month, page.zone));
    blocks.push(divider());
    blocks.push(header("Your recent follow-ups"));
    blocks.extend(recent(page.recent, page.zone));
    blocks.push(divider());
    blocks.push(context(USAGE));
    json!({"type": "home", "blocks": blocks})
}

/// The welcome DM to the installer.
pub fn welcome_text(tenant: &Tenant, reinstall: bool, first_admin: bool) -> String {
    let admin = if first_admin {
        " You are its first admin."
    } else {
        ""
    };
    if reinstall {
        format!(
            ":wave: Switchboard was reinstalled in *{}*. Everything you had is still here.{admin}\n{USAGE}",
            tenant.name
        )
    } else {
        format!(
            ":wave: Thanks for installing Switchboard in *{}*!{admin}\n{USAGE}",
            tenant.name
        )
    }
}

const USAGE: &str = "*How to use it*\n\
• `/followup`: pick a meeting you recorded and get a follow-up draft\n\
• `/followup ask <question>`: ask about your recent follow-ups\n\
• Mention @Switchboard with a question: the answer draws on your own follow-ups, and only you see it\n\
• `/followup help`: everything Switchboard can do";

fn workspace(tenant: &Tenant) -> Value {
    let status = match tenant.status {
        TenantStatus::Active => ":large_green_circle: Active",
        TenantStatus::Suspended => ":double_vertical_bar: Paused by your administrator",
        TenantStatus::Uninstalled | TenantStatus::UninstalledSuspended => {
            ":red_circle: Not installed"
        }
    };
    json!({"type": "section", "fields": [
        mrkdwn(&format!("*Workspace*\n{}", escape_mrkdwn(&tenant.name))),
        mrkdwn(&format!("*Status*\n{status}")),
        mrkdwn(&format!("*Plan*\n{}", plan_name(tenant))),
        mrkdwn(&format!("*Commands per minute*\n{}", tenant.plan.commands_per_minute())),
    ]})
}

fn crm(line: &CrmLine) -> Value {
    let text = match line.default {
        None if line.admin => "*CRM* (this workspace's) · not connected
Connect the CRM your team uses, so follow-ups can be logged there."
            .to_owned(),
        None => "*CRM* (this workspace's) · not connected
Ask a workspace admin to connect it (`/followup connect crm`)."
            .to_owned(),
        Some((name, false)) => format!(
            "*CRM* (this workspace's) · :white_check_mark: {name}
Follow-ups are logged there from \"View & edit\"."
        ),
        Some((name, true)) if line.admin => format!(
            "*CRM* (this workspace's) · :warning: {name} no longer accepts the connection: connect it again."
        ),
        Some((name, true)) => format!(
            "*CRM* (this workspace's) · :warning: {name} no longer accepts the connection: ask a workspace admin to connect it again."
        ),
    };
    let block = section_block("home_crm", &text);
    if !line.admin {
        return block;
    }
    with_accessory(
        block,
        button(ids::HOME_CRM_MANAGE, "Manage CRM", None, None),
    )
}

fn fathom(link: FathomLink) -> Value {
    let (text, button) = match link {
        FathomLink::NotConnected => (
            "*Fathom* · not connected\nConnect it so Switchboard can read the meetings you record.",
            button(
                ids::HOME_FATHOM_CONNECT,
                "Connect Fathom",
                None,
                Some("primary"),
            ),
        ),
        FathomLink::ApiKey => (
            "*Fathom* · :white_check_mark: connected with an API key",
            disconnect(Provider::Fathom, "Fathom", FATHOM_GONE),
        ),
        FathomLink::OAuth => (
            "*Fathom* · :white_check_mark: connected with your Fathom account",
            disconnect(Provider::Fathom, "Fathom", FATHOM_GONE),
        ),
    };
    with_accessory(section_block("home_fathom", text), button)
}

fn google(link: &GoogleLink, connect_url: Option<&str>) -> Value {
    match link {
        GoogleLink::Connected { email } => {
            let who = match email {
                Some(email) => format!(" as {}", escape_mrkdwn(email)),
                None => String::new(),
            };
            let text = format!(
                "*Google* · :white_check_mark: connected{who}\nGmail drafts and Calendar events are made in your account."
            );
            with_accessory(
                section_block("home_google", &text),
                disconnect(
                    Provider::Google,
                    "Google",
                    "Switchboard will no longer make Gmail drafts or Calendar events for you. What it made stays in your account.",
                ),
            )
        }
        GoogleLink::NotConnected => match connect_url {
            Some(url) => with_accessory(
                section_block(
                    "home_google",
                    "*Google* · not connected\nConnect it to put follow-up emails into Gmail as drafts and meetings into Calendar.",
                ),
                button(
                    ids::HOME_GOOGLE_CONNECT,
                    "Connect Google",
                    Some(url),
                    Some("primary"),
                ),
            ),
            None => section_block(
                "home_google",
                "*Google* · not enabled\nGmail drafts and Calendar events are not enabled in this workspace yet; ask your Switchboard admin.",
            ),
        },
    }
}

/// What the Fathom disconnect dialog says happens.
const FATHOM_GONE: &str =
    "Switchboard will stop reading your meetings. Your follow-ups so far stay until they expire.";

fn auto_followups(on: bool) -> Value {
    let text = if on {
        "*Automatic follow-ups* · :white_check_mark: on\nWhen Fathom finishes a meeting you recorded, its follow-up comes to your DM."
    } else {
        "*Automatic follow-ups* · off"
    };
    section_block("home_auto", text)
}

fn month(tenant: &Tenant, month: MonthUse, zone: &UserZone) -> Value {
    let noun = |n: u64| if n == 1 { "follow-up" } else { "follow-ups" };
    let text = match month.limit {
        Some(limit) => format!(
            "*{}* of {limit} {} used\nThe count starts again on {}.",
            month.used,
            noun(limit),
            local_time(month.resets_at, zone, "%-d %B %Y at %H:%M"),
        ),
        None => format!(
            "*{}* {} this month\nThe {} plan has no monthly limit.",
            month.used,
            noun(month.used),
            plan_name(tenant),
        ),
    };
    section_block("home_month", &text)
}

fn recent(sessions: &[Session], zone: &UserZone) -> Vec<Value> {
    if sessions.is_empty() {
        return vec![section(
            "No follow-ups yet. Run `/followup`, pick a meeting you recorded, and it shows here.",
        )];
    }
    sessions
        .iter()
        .take(RECENT)
        .map(|session| {
            let status = match session.status {
                SessionStatus::Generating => ":hourglass_flowing_sand: generating",
                SessionStatus::Ready => ":white_check_mark: ready",
                SessionStatus::Failed { .. } => ":warning: failed: see your DM to try again",
            };
            let text = format!(
                "*{}*\n{} · {status}",
                escape_mrkdwn(&truncate(&session.meeting_title, MAX_TITLE)),
                local_time(session.meeting_started_at, zone, "%a %-d %b %Y"),
            );
            let block = json!({"type": "section", "text": mrkdwn(&text)});
            match session.status {
                // The same button as the ready DM's: it opens the user's own session.
                SessionStatus::Ready => {
                    let mut open = button(ids::VIEW_EDIT, "View & edit", None, None);
                    open["value"] = session.recording.get().to_string().into();
                    with_accessory(block, open)
                }
                _ => block,
            }
        })
        .collect()
}

/// `at` in the user's zone, with "(UTC)" when their zone is unknown.
fn local_time(at: Timestamp, zone: &UserZone, format: &str) -> String {
    let shown = at
        .to_zoned_datetime(zone.tz().clone())
        .strftime(format)
        .to_string();
    if zone.fell_back() {
        format!("{shown} (UTC)")
    } else {
        shown
    }
}

fn plan_name(tenant: &Tenant) -> String {
    let name = tenant.plan.as_str();
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A "Disconnect" button for `provider` with Slack's confirm dialog: nothing is queued until
/// the user confirms.
fn disconnect(provider: Provider, name: &str, consequence: &str) -> Value {
    let mut button = button(ids::HOME_DISCONNECT, "Disconnect", None, Some("danger"));
    // The stable name the commands function parses back (`Provider::parse`).
    button["value"] = provider.as_str().into();
    button["confirm"] = json!({
        "title": plain(&format!("Disconnect {name}?")),
        "text": mrkdwn(&truncate(consequence, 300)),
        "confirm": plain("Disconnect"),
        "deny": plain("Cancel"),
        "style": "danger",
    });
    button
}

fn button(action_id: &str, text: &str, url: Option<&str>, style: Option<&str>) -> Value {
    let mut button = json!({"type": "button", "action_id": action_id, "text": plain(text)});
    if let Some(url) = url {
        button["url"] = url.into();
    }
    if let Some(style) = style {
        button["style"] = style.into();
    }
    button
}

fn with_accessory(mut block: Value, accessory: Value) -> Value {
    block["accessory"] = accessory;
    block
}

fn header(text: &str) -> Value {
    json!({"type": "header", "text": plain(text)})
}

fn section(text: &str) -> Value {
    json!({"type": "section", "text": mrkdwn(text)})
}

fn section_block(block_id: &str, text: &str) -> Value {
    json!({"type": "section", "block_id": block_id, "text": mrkdwn(text)})
}

fn context(text: &str) -> Value {
    json!({"type": "context", "elements": [mrkdwn(text)]})
}

fn divider() -> Value {
    json!({"type": "divider"})
}

fn mrkdwn(text: &str) -> Value {
    json!({"type": "mrkdwn", "text": text})
}

fn plain(text: &str) -> Value {
    json!({"type": "plain_text", "text": text, "emoji": true})
}

#[cfg(test)]
#[path = "view_tests.rs"]
mod tests;
