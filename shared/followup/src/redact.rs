//! The one way customer text shows under `Debug`: its length, never its content, so a log
//! reader can tell an empty field from a filled one without seeing what it says.

use std::fmt;

/// `Debug`s as `[redacted; N chars]`.
pub(crate) struct Redacted<'a>(pub(crate) &'a str);

impl fmt::Debug for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[redacted; {} chars]", self.0.chars().count())
    }
}
