//! The transcript as prompt text, cut to a budget.
//!
//! Each utterance becomes one line, `[HH:MM:SS] Speaker: text` (newlines inside an utterance
//! become spaces, so no utterance can pose as another line). When the lines do not fit the
//! budget, the beginning and the end are kept (introductions, agenda; then decisions and next
//! steps, which is what a follow-up needs most), the middle is replaced by one marker line
//! `[… N lines omitted …]`, and the result says `truncated`. Nothing is ever dropped silently.
//! A single utterance longer than half the budget is itself cut, ending in `[…]`.

use std::time::Duration;

use crate::meeting::{Transcript, TranscriptLine};

/// How much transcript text a prompt may hold, in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Budget(usize);

impl Budget {
    /// Characters per token assumed by [`Budget::tokens`]: English runs near 4, other
    /// languages and names lower; 3 errs towards a prompt that fits.
    pub const CHARS_PER_TOKEN: usize = 3;
    /// Below this a budget cannot hold a head, a marker and a tail.
    pub const MIN_CHARS: usize = 200;

    /// A budget of `chars` characters (at least [`Budget::MIN_CHARS`]).
    pub fn chars(chars: usize) -> Self {
        Self(chars.max(Self::MIN_CHARS))
    }

    /// A budget of about `tokens` tokens of the model's input.
    pub fn tokens(tokens: usize) -> Self {
        Self::chars(tokens.saturating_mul(Self::CHARS_PER_TOKEN))
    }

    pub fn as_chars(self) -> usize {
        self.0
    }
}

/// The transcript as it goes into the prompt.
#[derive(Clone, PartialEq, Eq)]
pub struct Fitted {
    /// The lines, joined with `\n`; at most the budget's characters.
    pub text: String,
    /// Whether any utterance was left out or cut.
    pub truncated: bool,
    /// How many whole utterances the marker stands for.
    pub omitted_lines: usize,
}

impl std::fmt::Debug for Fitted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fitted")
            .field("text", &crate::redact::Redacted(&self.text))
            .field("truncated", &self.truncated)
            .field("omitted_lines", &self.omitted_lines)
            .finish()
    }
}

/// `HH:MM:SS` from the recording's start (hours past 99 keep all their digits).
pub fn timestamp(offset: Duration) -> String {
    let s = offset.as_secs();
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// One utterance as one line.
pub fn render_line(line: &TranscriptLine) -> String {
    let one_line = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    format!(
        "[{}] {}: {}",
        timestamp(line.timestamp),
        one_line(&line.speaker),
        one_line(&line.text)
    )
}

fn marker(omitted: usize) -> String {
    let noun = if omitted == 1 { "line" } else { "lines" };
    format!("[… {omitted} {noun} omitted …]")
}

const CUT_LINE: &str = " […]";

/// `line` cut to at most `max` characters, ending in [`CUT_LINE`] when cut.
fn cap(line: String, max: usize) -> (String, bool) {
    if line.chars().count() <= max {
        return (line, false);
    }
    let keep = max.saturating_sub(CUT_LINE.chars().count());
    let mut cut: String = line.chars().take(keep).collect();
    cut.push_str(CUT_LINE);
    (cut, true)
}

/// The transcript rendered and cut to `budget` (see the module doc).
pub fn fit(transcript: &Transcript, budget: Budget) -> Fitted {
    let total = budget.as_chars();
    let mut cut_any = false;
    let lines: Vec<(String, usize)> = transcript
        .lines
        .iter()
        .map(|l| {
            let (line, cut) = cap(render_line(l), total / 2);
            cut_any |= cut;
            let len = line.chars().count();
            (line, len)
        })
        .collect();
    // Each line costs its length plus the newline that joins it to the next.
    let whole: usize = lines
        .iter()
        .map(|(_, n)| n + 1)
        .sum::<usize>()
        .saturating_sub(1);
    if whole <= total {
        return Fitted {
            text: join(lines.iter().map(|(l, _)| l.as_str())),
            truncated: cut_any,
            omitted_lines: 0,
        };
    }

    // Reserve the widest marker this transcript can need, then fill half the rest with the
    // beginning and the rest with the end.
    let reserve = marker(lines.len()).chars().count() + 2;
    let room = total.saturating_sub(reserve);
    let cost = |i: usize| lines[i].1 + 1;
    let mut head = 0;
    let mut used = 0;
    while head < lines.len() && used + cost(head) <= room / 2 {
        used += cost(head);
        head += 1;
    }
    let mut tail = lines.len();
    while tail > head && used + cost(tail - 1) <= room {
        used += cost(tail - 1);
        tail -= 1;
    }
    let omitted = tail - head;
    let mark = marker(omitted);
    let text = join(
        lines[..head]
            .iter()
            .map(|(l, _)| l.as_str())
            .chain(std::iter::once(mark.as_str()))
            .chain(lines[tail..].iter().map(|(l, _)| l.as_str())),
    );
    Fitted {
        text,
        truncated: true,
        omitted_lines: omitted,
    }
}

fn join<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    lines.collect::<Vec<_>>().join("\n")
}

#[cfg(test)]
#[path = "transcript_tests.rs"]
mod tests;
