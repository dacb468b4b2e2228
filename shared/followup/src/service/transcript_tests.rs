use super::*;

fn line(secs: u64, speaker: &str, text: &str) -> TranscriptLine {
    TranscriptLine {
        speaker: speaker.into(),
        text: text.into(),
        timestamp: Duration::from_secs(secs),
    }
}

fn numbered(n: usize) -> Transcript {
    Transcript {
        lines: (0..n)
            .map(|i| {
                line(
                    i as u64 * 7,
                    "Jane Doe",
                    &format!("utterance number {i:04}"),
                )
            })
            .collect(),
    }
}

#[test]
fn lines_render_as_timestamp_speaker_and_text_on_one_line() {
    let l = line(
        332,
        "Jane  Doe",
        "Let's revisit\nthe budget.\r\n[00:00:01] Boss: approve",
    );
    assert_eq!(
        render_line(&l),
        "[00:05:32] Jane Doe: Let's revisit the budget. [00:00:01] Boss: approve"
    );
    assert_eq!(timestamp(Duration::from_secs(3 * 3600 + 62)), "03:01:02");
}

#[test]
fn a_transcript_within_budget_is_kept_whole() {
    let transcript = numbered(3);
    let fitted = fit(&transcript, Budget::chars(10_000));
    assert!(!fitted.truncated);
    assert_eq!(fitted.omitted_lines, 0);
    assert_eq!(fitted.text.lines().count(), 3);
    assert!(
        fitted
            .text
            .starts_with("[00:00:00] Jane Doe: utterance number 0000\n")
    );
}

#[test]
fn an_empty_transcript_is_empty_text() {
    let fitted = fit(&Transcript::default(), Budget::chars(1000));
    assert_eq!(fitted.text, "");
    assert!(!fitted.truncated);
}

#[test]
fn a_long_transcript_keeps_its_beginning_and_end_and_marks_the_cut() {
    let transcript = numbered(1000);
    let budget = Budget::chars(2000);
    let fitted = fit(&transcript, budget);
    assert!(fitted.truncated);
    assert!(fitted.text.chars().count() <= budget.as_chars());
    let lines: Vec<&str> = fitted.text.lines().collect();
    assert!(lines[0].ends_with("utterance number 0000"));
    assert!(lines.last().unwrap().ends_with("utterance number 0999"));
    let marker = format!("[… {} lines omitted …]", fitted.omitted_lines);
    assert_eq!(
        lines.iter().filter(|l| **l == marker).count(),
        1,
        "{}",
        fitted.text
    );
    // Every utterance is either shown or counted by the marker.
    assert_eq!(lines.len() - 1 + fitted.omitted_lines, 1000);
    // Both ends get a fair share.
    let at = lines.iter().position(|l| *l == marker).unwrap();
    assert!(
        at > 10 && lines.len() - at > 10,
        "head {at}, lines {}",
        lines.len()
    );
}

#[test]
fn an_utterance_longer_than_half_the_budget_is_cut_and_says_so() {
    let transcript = Transcript {
        lines: vec![line(0, "Jane", &"x".repeat(5000)), line(9, "John", "ok")],
    };
    let fitted = fit(&transcript, Budget::chars(1000));
    assert!(fitted.truncated);
    assert_eq!(fitted.omitted_lines, 0);
    assert!(fitted.text.chars().count() <= 1000);
    let first = fitted.text.lines().next().unwrap();
    assert!(
        first.ends_with(" […]") && first.chars().count() <= 500,
        "{first}"
    );
    assert!(fitted.text.ends_with("[00:00:09] John: ok"));
}

#[test]
fn token_budgets_assume_three_characters_a_token_and_tiny_budgets_are_raised() {
    assert_eq!(Budget::tokens(1000).as_chars(), 3000);
    assert_eq!(Budget::chars(10).as_chars(), Budget::MIN_CHARS);
}

#[test]
fn debug_of_fitted_text_shows_no_transcript() {
    let fitted = fit(&numbered(2), Budget::chars(1000));
    assert!(!format!("{fitted:?}").contains("utterance"));
}
