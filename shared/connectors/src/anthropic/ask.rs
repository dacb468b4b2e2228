//! `/followup ask <question>`: an answer drawn only from the user's recent session digests,
//! saying which digests it used.

use std::sync::OnceLock;

use followup::SessionDigest;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{AnthropicClient, ToolCall, fence};
use crate::http::{ConnectorError, describe_json_error};

const PROMPT: &str = include_str!("../../prompts/ask.v1.md");
const TOOL: &str = "answer_from_sessions";
const DESCRIPTION: &str = "Record the answer and the sessions it drew on.";
/// What `/followup ask` says when there is nothing to answer from; the model is not called.
pub const NOTHING_TO_GO_ON: &str = "Nothing to go on yet: there are no recent follow-up sessions to answer from. Run /followup on a meeting first.";
/// More digests than this are not sent: the newest few are what "recent" means, and the prompt
/// stays small and quick.
const MAX_DIGESTS: usize = 20;

/// The answer and which of the given digests it drew on (indices into the caller's slice).
#[derive(Clone, PartialEq, Eq)]
pub struct AskAnswer {
    pub text: String,
    pub used: Vec<usize>,
}

impl std::fmt::Debug for AskAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AskAnswer")
            .field(
                "text",
                &format_args!("[redacted; {} chars]", self.text.chars().count()),
            )
            .field("used", &self.used)
            .finish()
    }
}

fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        json!({
            "type": "object",
            "properties": {
                "answer": {"type": "string", "description": "The answer, plain text, at most 120 words."},
                "used_sessions": {"type": "array", "items": {"type": "string"}, "description": "Ids of the sessions the answer drew on."}
            },
            "required": ["answer", "used_sessions"],
            "additionalProperties": false
        })
    })
}

impl AnthropicClient {
    /// Answers `question` from `digests` (newest first). With no digests it answers
    /// [`NOTHING_TO_GO_ON`] without calling the model. Errors as for `draft`.
    #[tracing::instrument(skip_all, fields(provider = "Anthropic", digests = digests.len()))]
    pub async fn ask(
        &self,
        question: &str,
        digests: &[SessionDigest],
    ) -> Result<AskAnswer, ConnectorError> {
        let question = question.trim();
        if digests.is_empty() {
            return Ok(AskAnswer {
                text: NOTHING_TO_GO_ON.to_owned(),
                used: Vec::new(),
            });
        }
        if question.is_empty() {
            return Err(ConnectorError::invalid("Anthropic", "empty question"));
        }
        let digests = &digests[..digests.len().min(MAX_DIGESTS)];
        let user = user_message(question, digests);
        let call = ToolCall {
            system: PROMPT,
            user: &user,
            tool: TOOL,
            description: DESCRIPTION,
            schema: schema(),
        };
        self.call_tool(&call, |input| parse_answer(input, digests.len()))
            .await
    }
}

/// Sessions are numbered from 1 in the prompt.
fn user_message(question: &str, digests: &[SessionDigest]) -> String {
    let sessions: Vec<String> = digests
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let body = format!(
                "title: {}\ndate: {}\nsummary: {}\ncrm_note: {}",
                d.title,
                d.started_at.strftime("%Y-%m-%d"),
                d.summary,
                d.crm_note
            );
            format!(
                "<session id=\"{}\">\n{}\n</session>",
                i + 1,
                fence(&body, "session")
            )
        })
        .collect();
    format!(
        "<sessions>\n{}\n</sessions>\n<question>{}</question>\nCall the {TOOL} tool with your answer.",
        sessions.join("\n"),
        fence(question, "question")
    )
}

#[derive(Deserialize)]
struct Input {
    answer: String,
    used_sessions: Vec<String>,
}

fn parse_answer(input: &Value, count: usize) -> Result<AskAnswer, String> {
    super::schema::check(input, schema())?;
    let input = Input::deserialize(input).map_err(|e| describe_json_error(&e))?;
    let text = input.answer.trim().to_owned();
    if text.is_empty() {
        return Err("empty answer".into());
    }
    // An id we did not send is the model's slip, not a reason to drop a good answer.
    let mut used: Vec<usize> = input
        .used_sessions
        .iter()
        .filter_map(|id| id.trim().parse::<usize>().ok())
        .filter(|n| (1..=count).contains(n))
        .map(|n| n - 1)
        .collect();
    used.sort_unstable();
    used.dedup();
    Ok(AskAnswer { text, used })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn used_sessions_become_indices_and_unknown_ids_are_dropped() {
        let input = json!({"answer": "Globex waits on security.", "used_sessions": ["2", "9", "x", "2", "1"]});
        let answer = parse_answer(&input, 3).unwrap();
        assert_eq!(answer.used, vec![0, 1]);
        assert!(!format!("{answer:?}").contains("Globex"));
        assert_eq!(
            parse_answer(&json!({"used_sessions": []}), 3).unwrap_err(),
            "missing field `answer`"
        );
    }
}
