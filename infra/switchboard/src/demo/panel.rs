//! "What the app created": the side panel listing what the fakes recorded, so the person sees
//! the effects of a click beyond Slack (the Fathom reads, the AI calls, and the mail drafts and
//! calendar events once the app makes them).

use serde::Serialize;

use super::DemoFakes;
use fakes::fathom::Endpoint;

/// One group of the panel, e.g. "Fathom" with its lines.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub title: String,
    pub lines: Vec<String>,
    /// Said when `lines` is empty.
    pub empty: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Panel {
    pub groups: Vec<Group>,
}

/// The panel as the fakes stand now.
pub fn panel(fakes: &DemoFakes) -> Panel {
    let mut groups = vec![slack(fakes), fathom(fakes), ai(fakes)];
    groups.extend(created_elsewhere(fakes));
    Panel { groups }
}

fn count(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn slack(fakes: &DemoFakes) -> Group {
    let calls = fakes.slack.calls();
    let of = |method: &str| calls.iter().filter(|c| c.method == method).count();
    let lines = [
        ("views.open", "modal opened", "modals opened"),
        ("views.update", "modal update", "modal updates"),
        ("chat.postMessage", "DM posted", "DMs posted"),
        ("chat.update", "DM updated in place", "DM updates in place"),
        ("users.info", "time zone lookup", "time zone lookups"),
    ]
    .into_iter()
    .filter(|(method, _, _)| of(method) > 0)
    .map(|(method, one, many)| format!("{} ({method})", count(of(method), one, many)))
    .collect();
    Group {
        title: "Slack".into(),
        lines,
        empty: "Nothing yet: type /followup.".into(),
    }
}

fn fathom(fakes: &DemoFakes) -> Group {
    let calls = fakes.fathom.calls();
    let of = |endpoint: Endpoint| calls.iter().filter(|c| c.endpoint == endpoint).count();
    let refused = calls.iter().filter(|c| c.status == 401).count();
    let mut lines = Vec::new();
    if of(Endpoint::Meetings) > 0 {
        lines.push(count(
            of(Endpoint::Meetings),
            "meeting list read",
            "meeting list reads",
        ));
    }
    if of(Endpoint::Transcript) > 0 {
        lines.push(count(
            of(Endpoint::Transcript),
            "transcript read",
            "transcripts read",
        ));
    }
    if refused > 0 {
        lines.push(count(refused, "key refused (401)", "keys refused (401)"));
    }
    Group {
        title: "Fathom (sample data)".into(),
        lines,
        empty: "Not called yet.".into(),
    }
}

fn ai(fakes: &DemoFakes) -> Group {
    let calls = fakes.ai.calls();
    let lines = if calls.is_empty() {
        Vec::new()
    } else {
        let ok = calls.iter().filter(|c| c.status == 200).count();
        vec![format!(
            "{} ({ok} answered)",
            count(calls.len(), "draft request", "draft requests")
        )]
    };
    Group {
        title: "AI (fake Anthropic)".into(),
        lines,
        empty: "No draft asked for yet.".into(),
    }
}

/// What the app creates outside Slack, Fathom and the AI: Gmail drafts and Google Calendar
/// events (from the edit modal's buttons). The hook for the next such fake (a CRM's notes and
/// tasks, say): start it in [`super::start`], add it to [`DemoFakes`], list it here.
fn created_elsewhere(fakes: &DemoFakes) -> Vec<Group> {
    let drafts = fakes
        .google
        .drafts()
        .into_iter()
        .map(|d| {
            format!(
                "Gmail draft \u{201c}{}\u{201d} to {}",
                d.subject.unwrap_or_default(),
                d.to.join(", ")
            )
        })
        .collect();
    let events = fakes
        .google
        .events()
        .into_iter()
        .map(|e| {
            let title = e.body["summary"]
                .as_str()
                .unwrap_or("(untitled)")
                .to_owned();
            match e.meet_link {
                Some(_) => format!("Calendar event \u{201c}{title}\u{201d} with a Meet link"),
                None => format!("Calendar event \u{201c}{title}\u{201d}"),
            }
        })
        .collect();
    vec![
        Group {
            title: "Gmail (fake Google)".into(),
            lines: drafts,
            empty: "No draft yet: View & edit, then Gmail draft.".into(),
        },
        Group {
            title: "Google Calendar (fake Google)".into(),
            lines: events,
            empty: "No event yet: View & edit, then Calendar event.".into(),
        },
    ]
}
