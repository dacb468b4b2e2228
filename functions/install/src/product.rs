//! The install page's content: what Switchboard does, what it asks Slack for and why, and the
//! "Add to Slack" button.

use app::pages::{self as page, PRODUCT, escape};

/// Why the app asks for a scope, in words a workspace admin reviewing the install can check.
fn why(scope: &str) -> &'static str {
    match scope {
        "app_mentions:read" => {
            "See messages that @mention Switchboard, so it can answer in the thread."
        }
        "chat:write" => "Post meeting summaries and follow-ups where you ask for them.",
        "commands" => "Add the /followup slash command.",
        "im:write" => "Send you a welcome note and your private follow-up drafts.",
        "users:read" => "Match meeting attendees to people in your workspace.",
        "incoming-webhook" => "Post to the one channel you pick during installation.",
        "channels:history" | "groups:history" | "im:history" | "mpim:history" => {
            "Look back at its own recent replies, so a retried request never posts twice."
        }
        "users:read.email" => "Match attendees by email address to their Slack accounts.",
        "chat:write.public" => "Post follow-ups in public channels it has not been added to.",
        _ => "Requested by this deployment's configuration.",
    }
}

/// Why a user scope (the installer's own token) is asked for.
fn why_user(scope: &str) -> &'static str {
    match scope {
        "users:read" => "Know who installed Switchboard, to make you its first admin.",
        "chat:write" => "Send follow-ups as you, when you choose to.",
        _ => "Act on your behalf for features you turn on.",
    }
}

fn scope_rows(scopes: &[String], explain: fn(&str) -> &'static str) -> String {
    scopes
        .iter()
        .map(|s| {
            format!(
                "<tr><td><code>{}</code></td><td>{}</td></tr>",
                escape(s),
                escape(explain(s))
            )
        })
        .collect()
}

/// Slack's four-colour mark, inline (the CSP allows no external images).
const SLACK_MARK: &str = r##"<svg width="20" height="20" viewBox="0 0 122.8 122.8" aria-hidden="true"><path d="M25.8 77.6a12.9 12.9 0 1 1-12.9-12.9h12.9v12.9zm6.5 0a12.9 12.9 0 0 1 25.8 0v32.3a12.9 12.9 0 1 1-25.8 0V77.6z" fill="#e01e5a"/><path d="M45.2 25.8a12.9 12.9 0 1 1 12.9-12.9v12.9H45.2zm0 6.5a12.9 12.9 0 0 1 0 25.8H12.9a12.9 12.9 0 0 1 0-25.8h32.3z" fill="#36c5f0"/><path d="M97 45.2a12.9 12.9 0 1 1 12.9 12.9H97V45.2zm-6.5 0a12.9 12.9 0 0 1-25.8 0V12.9a12.9 12.9 0 1 1 25.8 0v32.3z" fill="#2eb67d"/><path d="M77.6 97a12.9 12.9 0 1 1-12.9 12.9V97h12.9zm0-6.5a12.9 12.9 0 0 1 0-25.8h32.3a12.9 12.9 0 0 1 0 25.8H77.6z" fill="#ecb22e"/></svg>"##;

/// The install page. Its button goes to `start_url`, which issues the state and redirects to
/// Slack (the page itself carries none).
pub(crate) fn install_page(start_url: &str, scopes: &[String], user_scopes: &[String]) -> String {
    let user_section = if user_scopes.is_empty() {
        String::new()
    } else {
        format!(
            "<h2>And from you, the person installing</h2><table id=\"user-scopes\">{}</table>",
            scope_rows(user_scopes, why_user)
        )
    };
    let body = format!(
        r#"<h1>Meeting follow-ups, done before you're back at your desk.</h1>
<p class="lead">{PRODUCT} turns a recorded meeting into a summary, a follow-up email and CRM notes,
right inside Slack. Your team reviews, tweaks and sends, without copying anything between tabs.</p>
<div class="cta">
  <a class="button" id="add-to-slack" rel="nofollow" href="{href}">{SLACK_MARK}<span>Add to <b>Slack</b></span></a>
  <span class="note">Takes a minute. You can review every permission on the next screen.</span>
</div>
<div class="features">
  <div class="card"><h3>Summaries that stick</h3><p>Decisions, owners and dates from every call, posted where the work happens.</p></div>
  <div class="card"><h3>Follow-ups in one click</h3><p>A ready-to-send email draft for the customer, in your tone.</p></div>
  <div class="card"><h3>Your CRM, kept current</h3><p>Notes and tasks land on the right deal in HubSpot, Salesforce or Pipedrive.</p></div>
</div>
<h2>What {PRODUCT} asks Slack for, and why</h2>
<table id="scopes">{rows}</table>
{user_section}
<h2>Your data stays yours</h2>
<p class="note">Each workspace's data is stored separately, its Slack tokens are encrypted with a key bound
to that workspace, and every install, token change and removal is written to a tamper-evident audit log.
Removing the app from Slack deletes its tokens immediately.</p>"#,
        href = escape(start_url),
        rows = scope_rows(scopes, why),
    );
    page::document("Add Switchboard to Slack", &body)
}
