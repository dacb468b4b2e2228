//! Who the follow-up email and event go to: the meeting's external invitees.

use std::collections::HashSet;

use crate::mail::{EmailAddress, Mailbox};
use crate::meeting::Meeting;

/// The invitees Fathom marks external that have a usable address, lowercased, each once (in
/// invitation order, the first name seen kept), never the recorder themself. An address that
/// does not parse as one [`EmailAddress`] is left out: it could not be written into a header
/// safely.
pub fn external_attendees(meeting: &Meeting) -> Vec<Mailbox> {
    let recorder = EmailAddress::parse(&meeting.recorded_by_email).ok();
    let mut seen = HashSet::new();
    meeting
        .invitees
        .iter()
        .filter(|invitee| invitee.is_external)
        .filter_map(|invitee| {
            let address = EmailAddress::parse(invitee.email.as_deref()?).ok()?;
            let name = invitee
                .name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned);
            Some(Mailbox { name, address })
        })
        .filter(|mailbox| Some(&mailbox.address) != recorder.as_ref())
        .filter(|mailbox| seen.insert(mailbox.address.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::RecordingId;
    use crate::meeting::Invitee;
    use crate::testkit::sample_meeting;

    fn invitee(name: Option<&str>, email: Option<&str>, is_external: bool) -> Invitee {
        Invitee {
            name: name.map(Into::into),
            email: email.map(Into::into),
            is_external,
        }
    }

    #[test]
    fn only_external_invitees_with_an_address_once_each_lowercased_without_the_recorder() {
        let mut meeting = sample_meeting(
            RecordingId::new(1),
            "2025-01-15T08:30:00Z".parse().unwrap(),
            "x",
        );
        meeting.recorded_by_email = "Rep@Acme.example".into();
        meeting.invitees = vec![
            invitee(Some("Alice"), Some("alice@acme.example"), false),
            invitee(Some("John Smith"), Some("John.Smith@Client.example"), true),
            invitee(Some("J. Smith"), Some("john.smith@client.example"), true),
            invitee(Some("No Mail"), None, true),
            invitee(Some("Broken"), Some("not an address"), true),
            invitee(Some("Rep"), Some("rep@acme.example"), true),
            invitee(Some("  "), Some("buyer@client.example"), true),
        ];
        let to = external_attendees(&meeting);
        let shown: Vec<(Option<&str>, &str)> = to
            .iter()
            .map(|m| (m.name.as_deref(), m.address.as_str()))
            .collect();
        assert_eq!(
            shown,
            vec![
                (Some("John Smith"), "john.smith@client.example"),
                (None, "buyer@client.example"),
            ]
        );
    }

    #[test]
    fn an_all_internal_meeting_has_no_attendees() {
        let mut meeting = sample_meeting(
            RecordingId::new(1),
            "2025-01-15T08:30:00Z".parse().unwrap(),
            "x",
        );
        meeting.invitees.retain(|i| !i.is_external);
        assert!(external_attendees(&meeting).is_empty());
    }
}
