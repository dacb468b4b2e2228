//! The follow-up flow's pure logic: no I/O, the clock passed in, tested beside the code.
//!
//! * [`zone`]: the user's time zone from Slack's `tz`, falling back to UTC visibly.
//! * [`day`]: the picker's local day as a UTC window, and which day to show next.
//! * [`labels`]: the picker's option texts (local start, title, real duration).
//! * [`transcript`]: the transcript as prompt text, cut to a budget with an explicit marker.
//! * [`attendees`]: who the email and the event go to.
//! * [`follow_up`]: when the follow-up meeting is, and the Calendar event for it.
//! * [`sessions`]: opening and updating a session race-safely over the conditional port.

pub mod attendees;
pub mod day;
pub mod follow_up;
pub mod labels;
pub mod sessions;
pub mod transcript;
pub mod zone;

pub use day::{DayOffset, DayWindow, PickerMove, next_offset};
pub use sessions::{open_session, update_session};
pub use zone::UserZone;
