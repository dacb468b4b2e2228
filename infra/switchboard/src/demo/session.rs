//! The demo's Slack client: what the person sees (the DM with the app, their ephemeral
//! answers, the open modal) and what they do (type a command, press a button, submit or close
//! the modal, type in a search field), each sent to the app as the signed request Slack
//! would send.
//!
//! What the app did is read back from the fake Slack: the modals it opened and updated, the
//! messages it posted and updated in the DM, what it posted to response_urls. Only what Slack
//! itself decides is decided here: a submission answered with an empty 200 closes the modal,
//! `response_action` updates it or shows errors, and an empty required field is refused before
//! anything is sent.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Mutex, MutexGuard, OnceLock};

use fakes::slack::RESPONSE_URL;
use serde_json::Value;
use slack::verify::{SIGNATURE_HEADER, TIMESTAMP_HEADER};

use super::DemoFakes;
use super::payloads::{self, Actor, FormValues, Offered};

/// One line of the conversation, in the order the person saw it.
#[derive(Debug, Clone)]
pub enum Entry {
    /// What the person typed.
    Typed(String),
    /// An answer only they see: the command's HTTP answer or a response_url post.
    Ephemeral(Value),
    /// A message of the app in the DM, by ts: shown as it is now (updated in place).
    Bot(String),
}

#[derive(Default)]
struct Timeline {
    entries: Vec<Entry>,
    known_ts: HashSet<String>,
    /// How many of the fake Slack's recorded calls were looked at for ephemeral answers.
    calls_seen: usize,
    /// How many views.open calls were seen: a new one is the modal now open.
    opened_seen: usize,
    open_modal: Option<String>,
    /// `response_action: errors` (or Slack's own "required") under the open modal's fields.
    errors: BTreeMap<String, String>,
    /// A problem the person should know about (the app answered 5xx, say).
    banner: Option<String>,
    next_hook: u64,
    /// What the app offered each external select of a view as the person typed, by view id.
    offered: BTreeMap<String, Offered>,
}

/// What the page shows, read at one moment.
pub struct Snapshot {
    pub entries: Vec<(Entry, Option<Value>)>,
    /// The open modal: id, view (block ids filled in), hash, errors.
    pub modal: Option<(String, Value, String, BTreeMap<String, String>)>,
    pub banner: Option<String>,
}

/// The demo's one Slack user and their client.
pub struct Session {
    pub fakes: DemoFakes,
    pub actor: Actor,
    /// The DM channel between the app and the user (`D…`).
    pub dm: String,
    verifier: slack::Verifier,
    /// Where the app listens (`http://127.0.0.1:PORT`): known once the server is bound.
    app_base: OnceLock<String>,
    http: reqwest::Client,
    timeline: Mutex<Timeline>,
}

/// The app could not be reached, or answered what Slack would show as an error.
#[derive(Debug, thiserror::Error)]
pub enum ActError {
    #[error("the demo is still starting")]
    NotReady,
    #[error("the app could not be reached: {0}")]
    Unreachable(#[source] reqwest::Error),
}

impl Session {
    pub fn new(
        fakes: DemoFakes,
        actor: Actor,
        verifier: slack::Verifier,
    ) -> Result<Self, reqwest::Error> {
        // The app's own TLS set-up (ring, the system's roots read once).
        let http = tls::client_builder()
            .timeout(std::time::Duration::from_secs(10))
            .build()?;
        let dm = fakes.slack.dm_channel(&actor.user);
        Ok(Self {
            fakes,
            actor,
            dm,
            verifier,
            app_base: OnceLock::new(),
            http,
            timeline: Mutex::new(Timeline::default()),
        })
    }

    /// Called once the server is bound: requests go to the app's own address from then on.
    pub fn set_app_base(&self, base: String) {
        let _ = self.app_base.set(base);
    }

    fn timeline(&self) -> MutexGuard<'_, Timeline> {
        self.timeline
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// POSTs `body` to the app's `path`, signed now with the app's signing secret, as Slack
    /// does: the app verifies it exactly as it verifies Slack's.
    async fn send(&self, path: &str, body: String) -> Result<(u16, String), ActError> {
        let base = self.app_base.get().ok_or(ActError::NotReady)?;
        let now = jiff::Timestamp::now().as_second();
        let signature = self.verifier.sign(now, body.as_bytes());
        let res = self
            .http
            .post(format!("{base}{path}"))
            .header(TIMESTAMP_HEADER, now.to_string())
            .header(SIGNATURE_HEADER, signature)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(ActError::Unreachable)?;
        let status = res.status().as_u16();
        let text = res.text().await.map_err(ActError::Unreachable)?;
        Ok((status, text))
    }

    fn response_url(&self, what: &str) -> String {
        let n = {
            let mut timeline = self.timeline();
            timeline.next_hook += 1;
            timeline.next_hook
        };
        self.fakes.slack.response_url(&format!("demo-{what}-{n}"))
    }

    /// The person typed `line` in the composer: a slash command goes to `/slack/commands`.
    pub async fn type_line(&self, line: &str) -> Result<(), ActError> {
        let line = line.trim();
        if line.is_empty() {
            return Ok(());
        }
        self.timeline().entries.push(Entry::Typed(line.to_owned()));
        let Some(command) = line
            .split_whitespace()
            .next()
            .filter(|w| w.starts_with('/'))
        else {
            self.timeline().banner = Some(
                "This demo answers slash commands: try /followup, /followup connect or \
                 /followup help."
                    .into(),
            );
            return Ok(());
        };
        let text = line[command.len()..].trim();
        let body = payloads::slash_command(
            &self.actor,
            &self.dm,
            command,
            text,
            &self.response_url("command"),
        );
        let (status, answer) = self.send("/slack/commands", body).await?;
        let mut timeline = self.timeline();
        timeline.banner = None;
        if status != 200 {
            // What Slack shows when a command's URL fails.
            timeline.banner = Some(format!("{command} failed: the app answered HTTP {status}."));
        } else if let Ok(answer) = serde_json::from_str::<Value>(&answer)
            && (answer.get("text").is_some() || answer.get("blocks").is_some())
        {
            timeline.entries.push(Entry::Ephemeral(answer));
        }
        drop(timeline);
        self.refresh();
        Ok(())
    }

    /// A button in the open modal; `form` is what its inputs hold now.
    pub async fn press_in_modal(
        &self,
        view_id: &str,
        block: &str,
        action_id: &str,
        form: &FormValues,
    ) -> Result<(), ActError> {
        let Some((view, hash)) = self.fakes.slack.modal_with_hash(view_id) else {
            return Ok(());
        };
        let Some(element) = payloads::find_element(&view["blocks"], block, action_id) else {
            return Ok(());
        };
        let offered = self.offered(view_id);
        let view = payloads::view_object(&self.actor, view_id, &view, &hash, form, &offered);
        let payload = payloads::modal_action(&self.actor, view, block, &element);
        self.interact(&payload).await.map(|_| ())
    }

    /// A button in the DM message `ts`. (Buttons in ephemeral answers are not sent: the app's
    /// ephemerals have none, and Slack would need their response_url state to answer them.)
    pub async fn press_in_message(
        &self,
        ts: &str,
        block: &str,
        action_id: &str,
    ) -> Result<(), ActError> {
        let message = self
            .fakes
            .slack
            .messages(&self.dm)
            .into_iter()
            .find(|m| m["ts"].as_str() == Some(ts));
        let Some(message) = message else {
            return Ok(());
        };
        let Some(element) = payloads::find_element(&message["blocks"], block, action_id) else {
            return Ok(());
        };
        let payload = payloads::message_action(
            &self.actor,
            &self.dm,
            Some(&message),
            ts,
            block,
            &element,
            &self.response_url("action"),
        );
        self.interact(&payload).await.map(|_| ())
    }

    /// Submit of the open modal. Slack checks required inputs itself; then the app's answer
    /// decides: empty 200 closes, `errors` shows them, `update` replaces the view.
    pub async fn submit(&self, view_id: &str, form: &FormValues) -> Result<(), ActError> {
        let Some((view, hash)) = self.fakes.slack.modal_with_hash(view_id) else {
            return Ok(());
        };
        let offered = self.offered(view_id);
        let object = payloads::view_object(&self.actor, view_id, &view, &hash, form, &offered);
        let missing = required_but_empty(&object);
        if !missing.is_empty() {
            self.timeline().errors = missing;
            return Ok(());
        }
        let payload = payloads::view_submission(&self.actor, object);
        let Some(answer) = self.interact(&payload).await? else {
            return Ok(());
        };
        let slack = &self.fakes.slack;
        let mut timeline = self.timeline();
        timeline.errors.clear();
        match answer["response_action"].as_str() {
            None | Some("clear") => {
                slack.close_modal(view_id);
                timeline.open_modal = None;
            }
            Some("errors") => {
                timeline.errors = answer["errors"]
                    .as_object()
                    .map(|errors| {
                        errors
                            .iter()
                            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
                            .collect()
                    })
                    .unwrap_or_default();
            }
            Some("update") => {
                slack.replace_modal(view_id, answer["view"].clone());
            }
            Some(other) => {
                timeline.banner = Some(format!(
                    "The app answered `response_action: {other}`, which this demo does not show."
                ));
            }
        }
        Ok(())
    }

    /// The person typed `typed` in the external select `action_id` of the open modal: Slack
    /// sends a `block_suggestion` to the app's options URL and lists what it answers, within
    /// its 3 seconds. The options are kept, so that a pick is submitted as the option offered.
    /// Kept for the view's life (a demo session is one person for minutes).
    /// None (and nothing sent) for an element that is not an external select of that view;
    /// none either when the app answers anything but a 200 (Slack shows no options then).
    pub async fn suggest(
        &self,
        view_id: &str,
        block: &str,
        action_id: &str,
        typed: &str,
        form: &FormValues,
    ) -> Result<Vec<Value>, ActError> {
        let Some((view, hash)) = self.fakes.slack.modal_with_hash(view_id) else {
            return Ok(Vec::new());
        };
        let external = payloads::find_element(&view["blocks"], block, action_id)
            .is_some_and(|e| e["type"] == "external_select");
        if !external {
            return Ok(Vec::new());
        }
        let offered = self.offered(view_id);
        let object = payloads::view_object(&self.actor, view_id, &view, &hash, form, &offered);
        let payload = payloads::block_suggestion(&self.actor, object, block, action_id, typed);
        let (status, answer) = self
            .send("/slack/options", payloads::interaction_form(&payload))
            .await?;
        let options = match (status, serde_json::from_str::<Value>(&answer)) {
            (200, Ok(answer)) => payloads::offered_options(&answer),
            _ => Vec::new(),
        };
        // Kept from earlier searches too: a pick stays chosen while the person types another
        // search, as in Slack, and is still submitted whole.
        let mut timeline = self.timeline();
        let kept = timeline
            .offered
            .entry(view_id.to_owned())
            .or_default()
            .entry((block.to_owned(), action_id.to_owned()))
            .or_default();
        for option in &options {
            if !kept.iter().any(|k| k["value"] == option["value"]) {
                kept.push(option.clone());
            }
        }
        Ok(options)
    }

    fn offered(&self, view_id: &str) -> Offered {
        self.timeline()
            .offered
            .get(view_id)
            .cloned()
            .unwrap_or_default()
    }

    /// The person closed the modal (its close button or ×).
    pub async fn close(&self, view_id: &str) -> Result<(), ActError> {
        let Some((view, hash)) = self.fakes.slack.modal_with_hash(view_id) else {
            return Ok(());
        };
        self.fakes.slack.close_modal(view_id);
        {
            let mut timeline = self.timeline();
            timeline.open_modal = None;
            timeline.errors.clear();
        }
        if view["notify_on_close"].as_bool() == Some(true) {
            let offered = self.offered(view_id);
            let object = payloads::view_object(
                &self.actor,
                view_id,
                &view,
                &hash,
                &FormValues::new(),
                &offered,
            );
            let payload = payloads::view_closed(&self.actor, object);
            self.interact(&payload).await?;
        }
        Ok(())
    }

    /// Sends an interaction. A 200 gives its JSON answer (`Null` for the empty body that acks
    /// and closes); any other status gives `None` and shows as Slack's own error line.
    async fn interact(&self, payload: &Value) -> Result<Option<Value>, ActError> {
        let body = payloads::interaction_form(payload);
        let (status, answer) = self.send("/slack/interactions", body).await?;
        let result = if status == 200 {
            self.timeline().banner = None;
            Ok(Some(
                serde_json::from_str::<Value>(&answer).unwrap_or(Value::Null),
            ))
        } else {
            self.timeline().banner = Some(format!(
                "That did not work: the app answered HTTP {status} (Slack would show the \
                 person an error here)."
            ));
            Ok(None)
        };
        self.refresh();
        result
    }

    /// Takes in what the app did since the last look: modals it opened, DM messages it posted,
    /// ephemeral answers it sent to response_urls.
    pub fn refresh(&self) {
        let slack = &self.fakes.slack;
        let opened = slack.opened_modals();
        let calls = slack.calls();
        let messages = slack.messages(&self.dm);
        let mut timeline = self.timeline();
        if opened.len() > timeline.opened_seen {
            timeline.opened_seen = opened.len();
            timeline.open_modal = opened.last().cloned();
            timeline.errors.clear();
        }
        if let Some(id) = timeline.open_modal.clone()
            && slack.modal(&id).is_none()
        {
            timeline.open_modal = None;
        }
        for call in calls.iter().skip(timeline.calls_seen) {
            let ours = match call.method.as_str() {
                RESPONSE_URL => call.path.contains("/hooks/demo-"),
                "chat.postEphemeral" => call.body["user"].as_str() == Some(&self.actor.user),
                _ => false,
            };
            if ours && call.body.get("delete_original").is_none() {
                timeline.entries.push(Entry::Ephemeral(call.body.clone()));
            }
        }
        timeline.calls_seen = calls.len();
        for message in messages {
            let Some(ts) = message["ts"].as_str() else {
                continue;
            };
            if timeline.known_ts.insert(ts.to_owned()) {
                timeline.entries.push(Entry::Bot(ts.to_owned()));
            }
        }
    }

    /// What the page shows now (after a [`Session::refresh`]).
    pub fn snapshot(&self) -> Snapshot {
        self.refresh();
        let messages = self.fakes.slack.messages(&self.dm);
        let timeline = self.timeline();
        let entries = timeline
            .entries
            .iter()
            .map(|entry| {
                let message = match entry {
                    Entry::Bot(ts) => messages.iter().find(|m| m["ts"] == ts.as_str()).cloned(),
                    _ => None,
                };
                (entry.clone(), message)
            })
            .collect();
        let modal = timeline.open_modal.as_ref().and_then(|id| {
            let (mut view, hash) = self.fakes.slack.modal_with_hash(id)?;
            view["blocks"] = payloads::with_block_ids(&view["blocks"]);
            Some((id.clone(), view, hash, timeline.errors.clone()))
        });
        Snapshot {
            entries,
            modal,
            banner: timeline.banner.clone(),
        }
    }
}

/// Input blocks that are not `optional` and were left empty, with Slack's own message.
fn required_but_empty(view: &Value) -> BTreeMap<String, String> {
    let values = &view["state"]["values"];
    view["blocks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|b| b["type"] == "input" && b["optional"].as_bool() != Some(true))
        .filter_map(|b| {
            let block = b["block_id"].as_str()?;
            let action = b["element"]["action_id"].as_str()?;
            let state = &values[block][action];
            payloads::is_empty_state(state).then(|| {
                (
                    block.to_owned(),
                    "Please complete this required field.".to_owned(),
                )
            })
        })
        .collect()
}
