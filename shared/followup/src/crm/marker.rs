//! A note's marker: a short opaque id (`sb-` and 16 lower-case hex digits) that an adapter
//! embeds in the note where a reader does not notice it, so that a note whose write had an
//! unknown outcome (the worker died or timed out after sending) can be looked up by it before
//! it is written again. None of the four CRMs takes an idempotency key on a note.
//!
//! The marker is derived from what makes the note unique (the worker's ledger key: tenant,
//! user, recording), so every process derives the same one; it carries nothing readable.

use sha2::{Digest, Sha256};

const PREFIX: &str = "sb-";
const HEX_DIGITS: usize = 16;

/// The marker of the note identified by `seed` (the worker passes its ledger key with the
/// tenant): the first 8 bytes of SHA-256(`seed`), hex. Stable across processes and versions.
pub fn note_marker(seed: &str) -> String {
    let digest = Sha256::digest(seed.as_bytes());
    let hex: String = digest[..HEX_DIGITS / 2]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{PREFIX}{hex}")
}

/// Whether `marker` has the marker's shape. Adapters refuse any other (`Invalid`) before
/// embedding it, so that a marker can never close an HTML comment or reach a query.
pub fn is_note_marker(marker: &str) -> bool {
    marker.strip_prefix(PREFIX).is_some_and(|hex| {
        hex.len() == HEX_DIGITS
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markers_are_short_stable_and_differ_per_seed() {
        let m = note_marker("T1#crm-note#U1#rec-1");
        assert!(is_note_marker(&m), "{m}");
        assert_eq!(m, note_marker("T1#crm-note#U1#rec-1"));
        assert_ne!(m, note_marker("T2#crm-note#U1#rec-1"));
        assert_ne!(m, note_marker("T1#crm-note#U2#rec-1"));
        // Pinned: a marker derived by an older process must match a newer one's.
        assert_eq!(note_marker(""), "sb-e3b0c44298fc1c14");
    }

    #[test]
    fn only_the_markers_shape_is_a_marker() {
        assert!(is_note_marker("sb-0123456789abcdef"));
        for bad in [
            "",
            "sb-",
            "sb-0123456789ABCDEF",
            "sb-0123456789abcde",
            "sb-0123456789abcdef0",
            "xx-0123456789abcdef",
            "sb-0123456789abcd-->",
        ] {
            assert!(!is_note_marker(bad), "{bad:?}");
        }
    }
}
