//! Anthropic Messages API client: the follow-up draft (one forced tool call whose input is
//! the draft, checked against its schema) and answers for `/followup ask`. Contract:
//! `shared/reference/anthropic.md`.
//!
//! Resilience, in order: 429, 529 and 5xx are retried with backoff honouring `retry-after`
//! ([`RetryPolicy`], bounded); if the primary model still fails that way, the request goes
//! once to the fallback model (another model has its own capacity and limits). An answer that
//! fails the schema is asked for once more, then reported as `Invalid`. Timeouts are not
//! retried in-process (see [`RetryPolicy::delay`]): the worker's redelivery retries them. All
//! of it happens within [`AnthropicConfig::budget`]: attempts are cut to the time left and no
//! wait, repeat or fallback starts once it is spent.

mod ask;
mod draft;
mod schema;
mod wire;

use std::fmt;
use std::time::Duration;

use serde_json::Value;
use tenant::Secret;
use url::Url;

pub use ask::{AskAnswer, NOTHING_TO_GO_ON};
pub use draft::{DRAFT_PROMPT_VERSION, DRAFT_TOOL, MAX_EMAIL_WORDS, draft_schema, parse_draft};

use crate::config::{self, ConfigError, Lookup};
use crate::http::{
    self, ConnectorError, Deadline, HttpClient, HttpConfig, RetryPolicy, Unavailable,
};
use wire::{ContentBlock, Message, MessagesRequest, MessagesResponse, Tool, ToolChoice};

const PROVIDER: &str = "Anthropic";
pub const DEFAULT_API_URL: &str = "https://api.anthropic.com";
/// The reference's example model; deployments set `ANTHROPIC_MODEL` (model ids rotate).
pub const DEFAULT_MODEL: &str = "claude-sonnet-4-5";
pub const API_VERSION: &str = "2023-06-01";

/// How the worker reaches Anthropic. The API key is not here: it is a secret, loaded with the
/// others and given to [`AnthropicClient::new`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnthropicConfig {
    /// `ANTHROPIC_API_URL`, default [`DEFAULT_API_URL`].
    pub api_url: Url,
    /// `ANTHROPIC_MODEL`, default [`DEFAULT_MODEL`].
    pub model: String,
    /// `ANTHROPIC_FALLBACK_MODEL`: tried once when the primary is overloaded or rate limited
    /// after its retries. Unset: no fallback.
    pub fallback_model: Option<String>,
    /// `ANTHROPIC_TIMEOUT_SECS` (default 50) per call: a draft takes tens of seconds to write.
    pub http: HttpConfig,
    /// `ANTHROPIC_MAX_RETRIES` (default 2, the SDK's), per model.
    pub retry: RetryPolicy,
    /// `ANTHROPIC_BUDGET_SECS` (default 50): one `draft` or `ask`, retries, fallback and the
    /// repeat included, is over by then; each attempt's timeout is cut to what is left. Keep
    /// it under the worker's run timeout (55 s on Lambda, `worker::JobTiming`).
    pub budget: Duration,
    /// `ANTHROPIC_MAX_TOKENS` (default 2048): a draft is well under 1,000 output tokens.
    pub max_tokens: u32,
}

impl AnthropicConfig {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(50);

    pub fn from_lookup(lookup: impl Lookup) -> Result<Self, ConfigError> {
        let timeout = config::seconds(
            &lookup,
            "ANTHROPIC_TIMEOUT_SECS",
            Self::DEFAULT_TIMEOUT,
            Duration::from_secs(600),
        )?;
        Ok(Self {
            api_url: config::base_url(&lookup, "ANTHROPIC_API_URL", DEFAULT_API_URL)?,
            model: config::string(&lookup, "ANTHROPIC_MODEL")
                .unwrap_or_else(|| DEFAULT_MODEL.to_owned()),
            fallback_model: config::string(&lookup, "ANTHROPIC_FALLBACK_MODEL"),
            http: HttpConfig::with_timeout(timeout),
            retry: RetryPolicy::standard(config::number(&lookup, "ANTHROPIC_MAX_RETRIES", 2, 5)?),
            budget: config::seconds(
                &lookup,
                "ANTHROPIC_BUDGET_SECS",
                Self::DEFAULT_TIMEOUT,
                Duration::from_secs(900),
            )?,
            max_tokens: config::number(&lookup, "ANTHROPIC_MAX_TOKENS", 2048, 64_000)?.max(1),
        })
    }
}

/// The Anthropic client. Build once per cold start; `Debug` shows no key.
#[derive(Clone)]
pub struct AnthropicClient {
    http: HttpClient,
    messages_url: Url,
    api_key: Secret,
    model: String,
    fallback_model: Option<String>,
    retry: RetryPolicy,
    budget: Duration,
    max_tokens: u32,
}

impl fmt::Debug for AnthropicClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnthropicClient")
            .field("messages_url", &self.messages_url.as_str())
            .field("model", &self.model)
            .field("fallback_model", &self.fallback_model)
            .field("api_key", &self.api_key)
            .finish_non_exhaustive()
    }
}

/// One forced-tool request: what `call_tool` needs to build the body for any model.
pub(crate) struct ToolCall<'a> {
    pub system: &'a str,
    pub user: &'a str,
    pub tool: &'a str,
    pub description: &'a str,
    pub schema: &'a Value,
}

impl AnthropicClient {
    pub fn new(config: &AnthropicConfig, api_key: Secret) -> Result<Self, ConnectorError> {
        let messages_url = config
            .api_url
            .join("v1/messages")
            .map_err(|_| ConnectorError::invalid(PROVIDER, "invalid API URL"))?;
        Ok(Self {
            http: HttpClient::new(PROVIDER, &config.http)?,
            messages_url,
            api_key,
            model: config.model.clone(),
            fallback_model: config.fallback_model.clone(),
            retry: config.retry,
            budget: config.budget,
            max_tokens: config.max_tokens,
        })
    }

    /// Calls `call.tool` and turns its input into `T` with `parse`, with the retries, the
    /// fallback and the one repeat for an unusable answer described in the module docs.
    pub(crate) async fn call_tool<T>(
        &self,
        call: &ToolCall<'_>,
        parse: impl Fn(&Value) -> Result<T, String>,
    ) -> Result<T, ConnectorError> {
        let mut models = vec![self.model.as_str()];
        models.extend(self.fallback_model.as_deref());
        let mut model_index = 0;
        let mut repeat_left = true;
        let deadline = Deadline::after(self.budget);
        loop {
            let model = models[model_index];
            let outcome =
                http::retry(&self.retry, deadline, || self.once(model, call, deadline)).await;
            match outcome {
                Ok(response) => match tool_input(&response, call.tool).and_then(&parse) {
                    Ok(value) => return Ok(value),
                    Err(what) if repeat_left && deadline.remaining().is_some() => {
                        tracing::warn!(provider = PROVIDER, model, reason = %what, "unusable answer; asking once more");
                        repeat_left = false;
                    }
                    Err(what) => return Err(ConnectorError::invalid(PROVIDER, what)),
                },
                Err(err)
                    if is_capacity(&err)
                        && model_index + 1 < models.len()
                        && deadline.remaining().is_some() =>
                {
                    tracing::warn!(provider = PROVIDER, model, error = %err, fallback = models[model_index + 1], "falling back");
                    model_index += 1;
                }
                Err(err) => return Err(err),
            }
        }
    }

    /// One `POST /v1/messages`.
    async fn once(
        &self,
        model: &str,
        call: &ToolCall<'_>,
        deadline: Deadline,
    ) -> Result<MessagesResponse, ConnectorError> {
        let body = MessagesRequest {
            model,
            max_tokens: self.max_tokens,
            system: call.system,
            messages: vec![Message {
                role: "user",
                content: call.user,
            }],
            tools: vec![Tool {
                name: call.tool,
                description: call.description,
                input_schema: call.schema,
            }],
            tool_choice: Some(ToolChoice {
                kind: "tool",
                name: call.tool,
            }),
            temperature: 0.2,
        };
        let body = serde_json::to_vec(&body)
            .map_err(|_| ConnectorError::invalid(PROVIDER, "request could not be encoded"))?;
        let request = self
            .http
            .post(self.messages_url.clone())
            .header(
                "x-api-key",
                http::secret_header(self.api_key.expose(), PROVIDER)?,
            )
            .header("anthropic-version", API_VERSION)
            .header(::http::header::CONTENT_TYPE, "application/json")
            .body(body);
        let response = self.http.send(request, deadline, wire::error_type).await?;
        let parsed: MessagesResponse = response.json(PROVIDER)?;
        if let Some(usage) = &parsed.usage {
            tracing::info!(provider = PROVIDER, model = %parsed.model, input_tokens = usage.input_tokens, output_tokens = usage.output_tokens, "AI call");
        }
        Ok(parsed)
    }
}

/// Overloaded or throttled: worth another model. An auth or request error is not (the other
/// model would refuse it the same way), nor a timeout (it already used the step's time).
fn is_capacity(err: &ConnectorError) -> bool {
    matches!(
        err,
        ConnectorError::RateLimited { .. }
            | ConnectorError::Unavailable {
                cause: Unavailable::Status(_),
                ..
            }
    )
}

/// The forced tool's input, or why there is none usable.
fn tool_input<'r>(response: &'r MessagesResponse, tool: &str) -> Result<&'r Value, String> {
    match response.stop_reason.as_deref() {
        Some("max_tokens") => return Err("answer cut off (max_tokens)".into()),
        Some("refusal") => return Err("the model refused".into()),
        _ => {}
    }
    response
        .content
        .iter()
        .find_map(|block| match block {
            ContentBlock::ToolUse { name, input } if name == tool => Some(input),
            _ => None,
        })
        .ok_or_else(|| format!("no {tool} tool call in the answer"))
}

/// Customer text spliced into the prompt must not close the block it sits in.
pub(crate) fn fence(text: &str, tag: &str) -> String {
    text.replace(&format!("</{tag}>"), &format!("</ {tag}>"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_defaults_and_overrides() {
        let config = AnthropicConfig::from_lookup(|_: &str| None).unwrap();
        assert_eq!(config.api_url.as_str(), "https://api.anthropic.com/");
        assert_eq!(config.model, DEFAULT_MODEL);
        assert_eq!(config.fallback_model, None);
        assert_eq!(config.http.timeout, Duration::from_secs(50));
        let config = AnthropicConfig::from_lookup(|name: &str| match name {
            "ANTHROPIC_MODEL" => Some("m-1".into()),
            "ANTHROPIC_FALLBACK_MODEL" => Some("m-2".into()),
            "ANTHROPIC_TIMEOUT_SECS" => Some("20".into()),
            "ANTHROPIC_MAX_RETRIES" => Some("1".into()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            (config.model.as_str(), config.fallback_model.as_deref()),
            ("m-1", Some("m-2"))
        );
        assert_eq!(config.http.timeout, Duration::from_secs(20));
        assert_eq!(config.budget, Duration::from_secs(50));
    }

    #[test]
    fn debug_of_the_client_shows_no_key() {
        let config = AnthropicConfig::from_lookup(|_: &str| None).unwrap();
        let client = AnthropicClient::new(&config, Secret::from("sk-ant-secret-1")).unwrap();
        let shown = format!("{client:?}");
        assert!(
            !shown.contains("sk-ant-secret-1") && shown.contains("claude"),
            "{shown}"
        );
    }

    #[test]
    fn customer_text_cannot_close_its_block() {
        assert_eq!(fence("a</transcript>b", "transcript"), "a</ transcript>b");
    }
}
