//! RFC 3339 for the fakes' JSON (Fathom's ISO-8601 times), at whole seconds as Fathom shows.

use jiff::Timestamp;

pub(crate) fn format(t: Timestamp) -> String {
    Timestamp::from_second(t.as_second())
        .unwrap_or(t)
        .to_string()
}

pub(crate) fn parse(s: &str) -> Option<Timestamp> {
    s.parse().ok()
}
