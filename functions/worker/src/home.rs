//! The App Home tab and the welcome message: what a workspace sees of Switchboard in Slack.

use serde_json::{Value, json};
use tenant::{Tenant, TenantStatus};

/// The Home tab view (Block Kit) for `tenant`, as published with views.publish.
pub fn home_view(tenant: &Tenant) -> Value {
    let status = match tenant.status {
        TenantStatus::Active => ":large_green_circle: Active",
        TenantStatus::Suspended => ":double_vertical_bar: Paused by your administrator",
        TenantStatus::Uninstalled | TenantStatus::UninstalledSuspended => {
            ":red_circle: Not installed"
        }
    };
    let plan = tenant.plan;
    json!({
        "type": "home",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Switchboard"}},
            {"type": "section", "text": {"type": "mrkdwn",
                "text": "Turn meetings into follow-ups: a summary, a follow-up email and CRM notes and tasks, right from Slack."}},
            {"type": "divider"},
            {"type": "section", "fields": [
                {"type": "mrkdwn", "text": format!("*Workspace*\n{}", tenant.name)},
                {"type": "mrkdwn", "text": format!("*Status*\n{status}")},
                {"type": "mrkdwn", "text": format!("*Plan*\n{}", capitalize(plan.as_str()))},
                {"type": "mrkdwn", "text": format!("*Commands per minute*\n{}", plan.commands_per_minute())},
            ]},
            {"type": "divider"},
            {"type": "section", "text": {"type": "mrkdwn", "text": USAGE}},
        ]
    })
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
• `/followup help`: what Switchboard can do\n\
• `/followup ping`: check that Switchboard can reach you\n\
• Mention @Switchboard in a channel to ask it something";

fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tenant::TenantId;

    #[test]
    fn the_home_view_shows_status_and_plan() {
        let mut tenant = Tenant::new(TenantId::parse("T0HOME001").unwrap(), "Acme", 0);
        let view = home_view(&tenant).to_string();
        assert!(view.contains("Acme") && view.contains("Active") && view.contains("Free"));
        tenant.status = TenantStatus::Suspended;
        assert!(home_view(&tenant).to_string().contains("Paused"));
        assert_eq!(home_view(&tenant)["type"], "home");
    }
}
