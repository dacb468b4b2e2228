//! The fake model: deterministic answers built from the request, so a test can trace a fact
//! from the transcript to the draft.
//!
//! It reads the last user message. A `<transcript>` block of `[HH:MM:SS] Speaker: text` lines
//! and a `language:` line (as Switchboard's prompt sends them) drive the draft; `<session
//! id="…">` blocks and a `<question>` drive the answer. Without those blocks the whole message
//! is the transcript and the language is English.

use serde_json::{Map, Value, json};

/// A tool's `input` for `schema`: a follow-up draft when the schema has `email`, an answer
/// when it has `answer`, otherwise an object with every required property at a neutral value.
pub fn tool_input(body: &Value, schema: &Value) -> Value {
    let text = last_user_text(body);
    let properties = &schema["properties"];
    if properties.get("email").is_some() {
        draft(&text)
    } else if properties.get("answer").is_some() {
        answer(&text)
    } else {
        neutral(schema)
    }
}

/// A text answer for a request without a forced tool.
pub fn plain_text(body: &Value) -> String {
    let text = last_user_text(body);
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    format!("(fake model) You said: {}", clip_words(first, 20))
}

/// Drops a required field, as a model that ignored the schema would: `email` of a draft,
/// `answer` of an answer, else the first property.
pub fn break_input(input: &mut Value) {
    if let Some(object) = input.as_object_mut() {
        for key in ["email", "answer"] {
            if object.remove(key).is_some() {
                return;
            }
        }
        if let Some(first) = object.keys().next().cloned() {
            object.remove(&first);
        }
    }
}

fn last_user_text(body: &Value) -> String {
    let Some(message) = body["messages"]
        .as_array()
        .and_then(|m| m.iter().rev().find(|m| m["role"] == "user"))
    else {
        return String::new();
    };
    match &message["content"] {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| b["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// The lines between `<tag>` and `</tag>`, or `None` without the block.
fn block<'a>(text: &'a str, tag: &str) -> Option<Vec<&'a str>> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = text.find(&open)? + open.len();
    let end = start + text[start..].find(&close)?;
    Some(
        text[start..end]
            .lines()
            .filter(|l| !l.trim().is_empty())
            .collect(),
    )
}

/// `(speaker, text)` of each utterance.
fn utterances(text: &str) -> Vec<(String, String)> {
    let lines = block(text, "transcript").unwrap_or_else(|| text.lines().collect());
    lines
        .iter()
        .map(|line| {
            let line = line.trim();
            // "[00:00:04] Alice: text" → "Alice: text"
            let line = match line.strip_prefix('[').and_then(|r| r.split_once("] ")) {
                Some((_, rest)) => rest,
                None => line,
            };
            match line.split_once(": ") {
                Some((speaker, said)) => (speaker.to_owned(), said.to_owned()),
                None => (String::new(), line.to_owned()),
            }
        })
        .filter(|(_, said)| !said.is_empty())
        .collect()
}

fn field<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let meeting = block(text, "meeting").unwrap_or_default();
    meeting
        .into_iter()
        .find_map(|l| l.trim().strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

fn clip_words(text: &str, n: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() <= n {
        words.join(" ")
    } else {
        format!("{}…", words[..n].join(" "))
    }
}

fn containing(lines: &[(String, String)], keys: &[&str]) -> Vec<String> {
    lines
        .iter()
        .filter(|(_, said)| {
            let lower = said.to_lowercase();
            keys.iter().any(|k| lower.contains(k))
        })
        .map(|(_, said)| clip_words(said, 25))
        .collect()
}

/// The first `YYYY-MM-DD` in the transcript.
fn first_date(lines: &[(String, String)]) -> Option<String> {
    lines.iter().find_map(|(_, said)| {
        said.as_bytes().windows(10).find_map(|w| {
            let digits = |r: std::ops::Range<usize>| w[r].iter().all(u8::is_ascii_digit);
            (digits(0..4) && w[4] == b'-' && digits(5..7) && w[7] == b'-' && digits(8..10))
                .then(|| String::from_utf8_lossy(w).into_owned())
        })
    })
}

const TOOLS: &[&str] = &[
    "Excel",
    "HubSpot",
    "Salesforce",
    "Pipedrive",
    "Postgres",
    "Snowflake",
    "BigQuery",
    "Slack",
    "AWS",
    "Zoom",
];

fn draft(text: &str) -> Value {
    let lines = utterances(text);
    let language = field(text, "language").unwrap_or("en");
    let title = field(text, "title").unwrap_or("our meeting");
    let summary = lines
        .iter()
        .take(2)
        .map(|(speaker, said)| format!("{speaker}: {}", clip_words(said, 30)))
        .collect::<Vec<_>>()
        .join("\n");
    let first = lines
        .first()
        .map(|(_, s)| clip_words(s, 30))
        .unwrap_or_default();
    let date = first_date(&lines);
    let next_steps = containing(
        &lines,
        &[
            "next step",
            "send",
            "invio",
            "prepar",
            "we will",
            "ci sentiamo",
        ],
    );
    let step = next_steps.first().cloned().unwrap_or_default();
    let (subject, body) = if language == "it" {
        (
            format!("Riepilogo: {title}"),
            format!(
                "Ciao,\n\ngrazie per il tempo dedicato oggi. Come discusso: {first}\n\nProssimi passi: {step}\n\nCordiali saluti"
            ),
        )
    } else {
        (
            format!("Follow-up: {title}"),
            format!(
                "Hi,\n\nthank you for your time today. As discussed: {first}\n\nNext steps: {step}\n\nBest regards"
            ),
        )
    };
    let tech: Vec<&str> = TOOLS.iter().copied().filter(|t| text.contains(t)).collect();
    json!({
        "summary": summary,
        "email": { "subject": subject, "body": body },
        "crm_note": {
            "tech_stack": tech,
            "pain_points": containing(&lines, &["slow", "miss", "lose", "problem", "lento", "perdiamo", "problema"]),
            "impact": containing(&lines, &["hours", "ore", "%", "week", "settiman"]).first().cloned().unwrap_or_default(),
            "how_we_help": containing(&lines, &["our workflow", "we can", "possiamo"]).first().cloned().unwrap_or_default(),
            "next_steps": next_steps,
            "roadblocks": containing(&lines, &["security", "legal", "budget", "approv", "sicurezza", "cfo"]),
        },
        "follow_up": { "agreed": date.is_some(), "date": date },
    })
}

fn answer(text: &str) -> Value {
    let question = block(text, "question")
        .unwrap_or_default()
        .join(" ")
        .to_lowercase();
    let words: Vec<&str> = question
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4)
        .collect();
    let mut used = Vec::new();
    let mut quote = None;
    // `<session id="s1">` … `</session>` blocks, in order.
    let mut rest = text;
    while let Some(start) = rest.find("<session id=\"") {
        let after = &rest[start + 13..];
        let Some((id, body)) = after.split_once("\">") else {
            break;
        };
        let Some(end) = body.find("</session>") else {
            break;
        };
        let content = &body[..end];
        let lower = content.to_lowercase();
        let mut content_words = lower.split(|c: char| !c.is_alphanumeric());
        if content_words.any(|cw| words.contains(&cw)) {
            used.push(id.to_owned());
            quote.get_or_insert_with(|| clip_words(content.trim(), 25));
        }
        rest = &body[end..];
    }
    let answer = match quote {
        Some(quote) => format!("From {} session(s): {quote}", used.len()),
        None => "I could not find that in your sessions.".to_owned(),
    };
    json!({ "answer": answer, "used_sessions": used })
}

/// Every required property at a neutral value of its type.
fn neutral(schema: &Value) -> Value {
    let mut object = Map::new();
    for name in schema["required"].as_array().into_iter().flatten() {
        let Some(name) = name.as_str() else { continue };
        let kind = &schema["properties"][name]["type"];
        let value = match kind.as_str() {
            Some("boolean") => json!(false),
            Some("integer" | "number") => json!(0),
            Some("array") => json!([]),
            Some("object") => neutral(&schema["properties"][name]),
            _ => json!(""),
        };
        object.insert(name.to_owned(), value);
    }
    Value::Object(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str) -> Value {
        json!({"messages": [{"role": "user", "content": text}]})
    }

    #[test]
    fn the_draft_carries_the_transcripts_facts_in_its_language() {
        let text = "<meeting>\ntitle: Chiamata Ferrarini\nlanguage: it\n</meeting>\n<transcript>\n\
            [00:00:05] Marco: Come gestite i rinnovi?\n\
            [00:00:20] Giulia: Usiamo Excel: è lento.\n\
            [00:02:40] Marco: Vi invio una proposta e ci sentiamo il 2026-12-10.\n</transcript>";
        let schema = json!({"properties": {"email": {}}});
        let draft = tool_input(&request(text), &schema);
        assert_eq!(
            draft["summary"],
            "Marco: Come gestite i rinnovi?\nGiulia: Usiamo Excel: è lento."
        );
        assert_eq!(draft["email"]["subject"], "Riepilogo: Chiamata Ferrarini");
        assert!(draft["email"]["body"].as_str().unwrap().starts_with("Ciao"));
        assert_eq!(draft["crm_note"]["tech_stack"], json!(["Excel"]));
        assert_eq!(
            draft["follow_up"],
            json!({"agreed": true, "date": "2026-12-10"})
        );
    }

    #[test]
    fn answers_cite_the_sessions_that_share_words_with_the_question() {
        let text = "<sessions>\n<session id=\"a\">Globex blocked on security review.</session>\n\
            <session id=\"b\">Initech wants a lower price.</session>\n</sessions>\n\
            <question>What blocks Globex?</question>";
        let out = tool_input(&request(text), &json!({"properties": {"answer": {}}}));
        assert_eq!(out["used_sessions"], json!(["a"]));
        assert!(out["answer"].as_str().unwrap().contains("security review"));
        let mut broken = out.clone();
        break_input(&mut broken);
        assert!(broken.get("answer").is_none());
    }
}
