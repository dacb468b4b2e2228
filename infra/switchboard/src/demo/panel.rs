//! "What the app created": the side panel listing what the fakes recorded, so the person sees
//! the effects of a click beyond Slack (the Fathom reads, the AI calls, the mail drafts and
//! calendar events, and the CRM's searches, notes, tasks and deal updates once the app makes
//! them).

use serde::Serialize;

use super::DemoFakes;
use fakes::fathom::Endpoint;
use fakes::hubspot::{Endpoint as HubSpotCall, FakeHubSpot, ObjectType};

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
    groups.push(hubspot(&fakes.hubspot));
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
/// events (from the edit modal's buttons). The hook for the next such fake: start it in
/// [`super::start`], add it to [`DemoFakes`], list it here.
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

/// The demo's HubSpot portal: what the app searched (the external selects, the account
/// match), and the notes, tasks and deal updates it made, each named by what it is on.
fn hubspot(hubspot: &FakeHubSpot) -> Group {
    let calls = hubspot.calls();
    let ok = |endpoint: HubSpotCall| {
        calls
            .iter()
            .filter(|c| c.endpoint == endpoint && c.status == 200)
            .count()
    };
    let mut lines = Vec::new();
    let searches = ok(HubSpotCall::Search(ObjectType::Contacts))
        + ok(HubSpotCall::Search(ObjectType::Companies));
    if searches > 0 {
        lines.push(count(searches, "search", "searches"));
    }
    let name_of = |object: &fakes::hubspot::FakeObject, of: ObjectType| {
        object
            .associations
            .iter()
            .find(|(t, _, _)| *t == of)
            .and_then(|(_, id, _)| hubspot.object(*id))
            .map(|o| display_name(&o))
    };
    for note in hubspot.objects(ObjectType::Notes) {
        lines.push(match name_of(&note, ObjectType::Companies) {
            Some(company) => format!("Note on {company}"),
            None => "Note".to_owned(),
        });
    }
    for task in hubspot.objects(ObjectType::Tasks) {
        let subject = task
            .properties
            .get("hs_task_subject")
            .cloned()
            .unwrap_or_default();
        lines.push(match name_of(&task, ObjectType::Contacts) {
            Some(contact) => format!("Task \u{201c}{subject}\u{201d} for {contact}"),
            None => format!("Task \u{201c}{subject}\u{201d}"),
        });
    }
    let deals = ok(HubSpotCall::Update(ObjectType::Deals));
    if deals > 0 {
        lines.push(count(deals, "deal updated", "deal updates"));
    }
    Group {
        title: "HubSpot (fake, Demo portal)".into(),
        lines,
        empty: "Nothing yet: View & edit, then Log to CRM, Deals or Create task.".into(),
    }
}

/// A company's name, a contact's first and last name, or its id.
fn display_name(object: &fakes::hubspot::FakeObject) -> String {
    let p = &object.properties;
    let person = [p.get("firstname"), p.get("lastname")]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(" ");
    match p.get("name") {
        Some(name) => name.clone(),
        None if !person.is_empty() => person,
        None => object.id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_hubspot_group_names_what_each_note_and_task_is_on() {
        let fake = FakeHubSpot::start().await.unwrap();
        assert!(hubspot(&fake).lines.is_empty(), "nothing made yet");
        fake.add_portal(7, "pat-demo-panel");
        let globex = fake.add_object(7, ObjectType::Companies, &[("name", "Globex")], &[]);
        let john = fake.add_object(
            7,
            ObjectType::Contacts,
            &[("firstname", "John"), ("lastname", "Smith")],
            &[(ObjectType::Companies, globex, 1)],
        );
        fake.add_object(
            7,
            ObjectType::Notes,
            &[("hs_note_body", "<p>Follow-up</p>")],
            &[(ObjectType::Companies, globex, 190)],
        );
        fake.add_object(
            7,
            ObjectType::Tasks,
            &[("hs_task_subject", "Send the pack")],
            &[(ObjectType::Contacts, john, 204)],
        );
        fake.add_object(7, ObjectType::Notes, &[("hs_note_body", "loose")], &[]);
        assert_eq!(
            hubspot(&fake).lines,
            [
                "Note on Globex",
                "Note",
                "Task \u{201c}Send the pack\u{201d} for John Smith"
            ]
        );
    }
}
