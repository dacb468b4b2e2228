//! The page after a successful install: back into Slack, where the welcome DM waits.

use app::HttpResponse;
use app::pages::{self as page, Badge};
use http::StatusCode;
use slack::OAuthAccess;

/// Where "Open Slack" leads: the app in the workspace's Slack client, or, for an org-wide
/// install, the org's admin page where the app is added to workspaces.
pub(crate) fn open_url(access: &OAuthAccess) -> String {
    if access.is_enterprise_install
        && let Some(org) = &access.enterprise
    {
        return format!(
            "https://app.slack.com/manage/{}/integrations/installed",
            org.id
        );
    }
    match (&access.team, &access.app_id) {
        (Some(team), Some(app)) => format!("slack://app?team={}&id={}", team.id, app),
        (Some(team), None) => format!("slack://open?team={}", team.id),
        // A reply without a team was refused before this page.
        (None, _) => "slack://open".to_owned(),
    }
}

pub(crate) fn page(access: &OAuthAccess, name: &str, reinstall: bool) -> HttpResponse {
    let (title, message, label) = if access.is_enterprise_install {
        (
            "Switchboard is installed for your organization",
            format!(
                "Switchboard is now available across {name}. Choose which workspaces get it from \
                 your organization's admin page; the installer gets a welcome message in Slack."
            ),
            "Manage in Slack",
        )
    } else if reinstall {
        (
            "Switchboard is updated",
            format!(
                "Switchboard's permissions in {name} are up to date. Your settings, plan and \
                 members are unchanged."
            ),
            "Open Slack",
        )
    } else {
        (
            "Switchboard is installed",
            format!(
                "Switchboard is ready in {name}. We've sent you a welcome message in Slack with \
                 the first steps: try /followup in any channel."
            ),
            "Open Slack",
        )
    };
    page::status_page(
        StatusCode::OK,
        Badge::Success,
        title,
        &message,
        Some((label, &open_url(access))),
    )
}
