//! The follow-up draft: the prompt (`prompts/draft.v1.md`, filled from the tenant's writing
//! settings), the tool's JSON schema, and the checks an answer must pass to become a
//! [`Draft`].

use std::sync::OnceLock;

use followup::{Draft, DraftRequest, Email, FollowUpPlan, FollowUpWhen, Tone, WritingSettings};
use jiff::civil;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AnthropicClient, ToolCall, fence};
use crate::http::{ConnectorError, describe_json_error};

/// Which prompt wrote a draft: goes into logs and, later, into the session.
pub const DRAFT_PROMPT_VERSION: &str = "draft.v1";
const PROMPT: &str = include_str!("../../prompts/draft.v1.md");
pub const DRAFT_TOOL: &str = "record_follow_up_draft";
const DESCRIPTION: &str =
    "Record the meeting summary, the follow-up email, the CRM note and the follow-up plan.";
/// The email body's limit in words (the product's rule; the schema says it, the check
/// enforces it).
pub const MAX_EMAIL_WORDS: usize = 200;
/// The summary is "two or three lines".
const MAX_SUMMARY_LINES: usize = 3;

/// The draft tool's `input_schema`.
pub fn draft_schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let list = |what: &str| json!({"type": "array", "items": {"type": "string"}, "description": what});
        json!({
            "type": "object",
            "properties": {
                "summary": {"type": "string", "description": "Two or three short lines, in the meeting's language."},
                "email": {
                    "type": "object",
                    "properties": {
                        "subject": {"type": "string"},
                        "body": {"type": "string", "description": format!("Plain text, at most {MAX_EMAIL_WORDS} words, in the meeting's language.")}
                    },
                    "required": ["subject", "body"],
                    "additionalProperties": false
                },
                "crm_note": {
                    "type": "object",
                    "properties": {
                        "tech_stack": list("Tools and systems the prospect uses."),
                        "pain_points": list("Problems the prospect described."),
                        "impact": {"type": "string", "description": "What the problems cost them."},
                        "how_we_help": {"type": "string", "description": "What of ours answers those problems."},
                        "next_steps": list("Agreed next steps, with owners and dates."),
                        "roadblocks": list("Budget, approvals, security, competitors, timing.")
                    },
                    "required": ["tech_stack", "pain_points", "impact", "how_we_help", "next_steps", "roadblocks"],
                    "additionalProperties": false
                },
                "follow_up": {
                    "type": "object",
                    "properties": {
                        "agreed": {"type": "boolean", "description": "Whether a further meeting or call was agreed."},
                        "date": {"type": ["string", "null"], "description": "YYYY-MM-DD, or YYYY-MM-DDTHH:MM when a time was said; null when no day was named."}
                    },
                    "required": ["agreed", "date"],
                    "additionalProperties": false
                }
            },
            "required": ["summary", "email", "crm_note", "follow_up"],
            "additionalProperties": false
        })
    })
}

impl AnthropicClient {
    /// Writes the draft for `request`. Errors: see [`followup::Drafter::draft`]; an answer
    /// that fails [`parse_draft`] twice is `Invalid` naming the first check it failed.
    #[tracing::instrument(skip_all, fields(provider = "Anthropic", prompt = DRAFT_PROMPT_VERSION))]
    pub async fn draft(&self, request: &DraftRequest) -> Result<Draft, ConnectorError> {
        let system = system_prompt(&request.writing, request.language.as_deref());
        let user = user_message(request);
        let call = ToolCall {
            system: &system,
            user: &user,
            tool: DRAFT_TOOL,
            description: DESCRIPTION,
            schema: draft_schema(),
        };
        self.call_tool(&call, |input| {
            parse_draft(
                input,
                request.writing.note_language.as_deref().unwrap_or("en"),
            )
        })
        .await
    }
}

/// The prompt with the tenant's settings filled in. Settings are text an admin typed: they are
/// trimmed and kept to one short line so that they cannot restructure the prompt.
pub(crate) fn system_prompt(writing: &WritingSettings, language: Option<&str>) -> String {
    let setting = |s: &str, fallback: &str| {
        let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
        let cut: String = one_line.replace("{{", "").chars().take(80).collect();
        if cut.is_empty() {
            fallback.to_owned()
        } else {
            cut
        }
    };
    let sender = setting(&writing.sender_name, "the salesperson");
    let company = writing
        .company
        .as_deref()
        .map(|c| setting(c, ""))
        .filter(|c| !c.is_empty());
    let email_language = language_name(language.unwrap_or("en"));
    // The CRM note is in the tenant's note language, else the meeting's.
    let note_language = language_name(
        writing
            .note_language
            .as_deref()
            .or(language)
            .unwrap_or("en"),
    );
    PROMPT
        .replace("{{sender_name}}", &sender)
        .replace("{{company}}", company.as_deref().unwrap_or("their company"))
        .replace(
            "{{company_signature}}",
            &company
                .as_deref()
                .map(|c| format!(", {c}"))
                .unwrap_or_default(),
        )
        .replace("{{tone}}", tone(writing.tone))
        .replace("{{email_language}}", &email_language)
        .replace("{{note_language}}", &note_language)
}

fn tone(tone: Tone) -> &'static str {
    match tone {
        Tone::Professional => "professional and warm",
        Tone::Friendly => "friendly and personal, still businesslike",
        Tone::Concise => "concise and direct, no pleasantries beyond a greeting",
    }
}

/// A language code as the prompt names it; an unknown code is passed through for the model.
fn language_name(code: &str) -> String {
    let base = code
        .split(['-', '_'])
        .next()
        .unwrap_or(code)
        .to_ascii_lowercase();
    let name = match base.as_str() {
        "en" => "English",
        "it" => "Italian",
        "es" => "Spanish",
        "fr" => "French",
        "de" => "German",
        "pt" => "Portuguese",
        "nl" => "Dutch",
        _ => {
            return format!(
                "the language with code \"{}\"",
                base.chars()
                    .filter(char::is_ascii_alphanumeric)
                    .take(8)
                    .collect::<String>()
            );
        }
    };
    name.to_owned()
}

/// The meeting's facts and transcript, in the blocks the prompt describes.
pub(crate) fn user_message(request: &DraftRequest) -> String {
    let meeting = &request.meeting;
    let recipients: Vec<String> = meeting
        .recipients
        .iter()
        .map(|m| match &m.name {
            Some(name) => format!("{name} <{}>", m.address.as_str()),
            None => m.address.as_str().to_owned(),
        })
        .collect();
    let mut facts = vec![
        format!("title: {}", one_line(&meeting.title)),
        format!(
            "date: {}",
            meeting.started_at.strftime("%Y-%m-%d %H:%M (%A, %Z)")
        ),
        format!(
            "duration_minutes: {}",
            meeting.duration.as_secs().div_ceil(60)
        ),
        format!("language: {}", request.language.as_deref().unwrap_or("en")),
        format!(
            "participants: {}",
            one_line(&meeting.participants.join(", "))
        ),
        format!("recipients: {}", one_line(&recipients.join(", "))),
    ];
    if request.transcript_truncated {
        facts.push(
            "note: the transcript was cut to fit; a `[… N lines omitted …]` line marks the gap"
                .to_owned(),
        );
    }
    format!(
        "<meeting>\n{}\n</meeting>\n<transcript>\n{}\n</transcript>\nCall the {DRAFT_TOOL} tool with the draft.",
        fence(&facts.join("\n"), "meeting"),
        fence(&request.transcript, "transcript"),
    )
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Deserialize)]
struct Input {
    summary: String,
    email: InputEmail,
    crm_note: CrmNote,
    follow_up: InputFollowUp,
}

#[derive(Deserialize)]
struct InputEmail {
    subject: String,
    body: String,
}

#[derive(Deserialize)]
struct CrmNote {
    tech_stack: Vec<String>,
    pain_points: Vec<String>,
    impact: String,
    how_we_help: String,
    next_steps: Vec<String>,
    roadblocks: Vec<String>,
}

#[derive(Deserialize)]
struct InputFollowUp {
    agreed: bool,
    date: Option<String>,
}

/// The tool input as a [`Draft`], or the first check it fails (a description that quotes
/// nothing of the answer): the schema's fields and types, non-empty texts, at most
/// [`MAX_EMAIL_WORDS`] words of email body and three summary lines, a follow-up date in one of
/// the two forms. The CRM note's sections become one text with headings in `note_language`.
pub fn parse_draft(input: &Value, note_language: &str) -> Result<Draft, String> {
    super::schema::check(input, draft_schema())?;
    let input = Input::deserialize(input).map_err(|e| describe_json_error(&e))?;
    let summary = input.summary.trim().to_owned();
    if summary.is_empty() {
        return Err("empty summary".into());
    }
    if summary.lines().filter(|l| !l.trim().is_empty()).count() > MAX_SUMMARY_LINES {
        return Err(format!("summary longer than {MAX_SUMMARY_LINES} lines"));
    }
    let subject = one_line(&input.email.subject);
    let body = input.email.body.trim().to_owned();
    if subject.is_empty() || body.is_empty() {
        return Err("empty email subject or body".into());
    }
    let words = body.split_whitespace().count();
    if words > MAX_EMAIL_WORDS {
        return Err(format!(
            "email body has {words} words, over {MAX_EMAIL_WORDS}"
        ));
    }
    let crm_note = render_note(&input.crm_note, note_language);
    if crm_note.is_empty() {
        return Err("empty CRM note".into());
    }
    let when = match input.follow_up.date.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(raw) => Some(parse_when(raw).ok_or("follow_up.date is not YYYY-MM-DD[THH:MM]")?),
    };
    Ok(Draft {
        summary,
        email: Email { subject, body },
        crm_note,
        // A day only for an agreed meeting: a date without agreement is not a plan.
        follow_up: FollowUpPlan {
            agreed: input.follow_up.agreed,
            when: when.filter(|_| input.follow_up.agreed),
        },
    })
}

fn parse_when(raw: &str) -> Option<FollowUpWhen> {
    if raw.len() == 10 {
        return raw.parse::<civil::Date>().ok().map(FollowUpWhen::Date);
    }
    raw.parse::<civil::DateTime>()
        .ok()
        .map(FollowUpWhen::DateTime)
}

/// The sections as the CRM shows them; empty sections are left out.
fn render_note(note: &CrmNote, language: &str) -> String {
    let italian = language.to_ascii_lowercase().starts_with("it");
    let heads = if italian {
        [
            "Stack tecnologico",
            "Criticità",
            "Impatto",
            "Come aiutiamo",
            "Prossimi passi",
            "Ostacoli",
        ]
    } else {
        [
            "Tech stack",
            "Pain points",
            "Impact",
            "How we help",
            "Next steps",
            "Roadblocks",
        ]
    };
    let clean = |items: &[String]| -> Vec<String> {
        items
            .iter()
            .map(|i| one_line(i))
            .filter(|i| !i.is_empty())
            .collect()
    };
    let sections: [(&str, Vec<String>, bool); 6] = [
        (heads[0], clean(&note.tech_stack), false),
        (heads[1], clean(&note.pain_points), true),
        (heads[2], clean(std::slice::from_ref(&note.impact)), false),
        (
            heads[3],
            clean(std::slice::from_ref(&note.how_we_help)),
            false,
        ),
        (heads[4], clean(&note.next_steps), true),
        (heads[5], clean(&note.roadblocks), true),
    ];
    let mut out = Vec::new();
    for (head, items, bulleted) in sections {
        match (items.as_slice(), bulleted) {
            ([], _) => {}
            (items, true) => out.push(format!(
                "{head}:\n{}",
                items
                    .iter()
                    .map(|i| format!("- {i}"))
                    .collect::<Vec<_>>()
                    .join("\n")
            )),
            (items, false) => out.push(format!("{head}: {}", items.join(", "))),
        }
    }
    out.join("\n\n")
}

#[cfg(test)]
#[path = "draft_tests.rs"]
mod tests;
