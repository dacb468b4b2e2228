//! The demo page, server-side: minijinja templates (auto-escaped HTML) that render Block Kit
//! as the person would see it in Slack, and the fragments the page's script swaps in when
//! something changed.

use minijinja::value::Serde;
use minijinja::{Environment, Value as Tpl, context};
use serde::Serialize;
use serde_json::Value;

use super::mrkdwn;
use super::panel::Panel;
use super::session::{Entry, Snapshot};

/// The page's parts, rendered, each with a key that changes only when the part does: the
/// script replaces a part only then, so a modal the person is typing in (or an element a
/// browser test holds) is left alone while nothing changed.
#[derive(Debug, Serialize)]
pub struct Fragments {
    pub conversation: String,
    pub conversation_key: String,
    pub modal: String,
    pub modal_key: String,
    pub panel: String,
    pub panel_key: String,
    pub hint: String,
    pub hint_key: String,
    pub banner: String,
}

/// A short fingerprint of a rendered part (not a security measure: only change detection).
fn key_of(html: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    html.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// What the page tells the person about themselves and the sample data.
#[derive(Debug, Clone, Serialize)]
pub struct Intro {
    pub user_name: String,
    pub time_zone: String,
    pub workspace: String,
    pub sample_key: String,
}

fn ser<T: Serialize>(value: T) -> Tpl {
    Tpl::from(Serde(value))
}

/// The templates, loaded once.
pub struct Pages {
    env: Environment<'static>,
}

/// Block Kit text objects: mrkdwn through [`mrkdwn::to_html`], plain text escaped (with the
/// app's emoji codes shown), both marked safe for the template.
fn slack_text(value: Tpl) -> Tpl {
    let kind = value.get_attr("type").ok().map(|t| t.to_string());
    let text = value
        .get_attr("text")
        .ok()
        .and_then(|t| t.as_str().map(str::to_owned))
        .unwrap_or_default();
    let html = match kind.as_deref() {
        Some("mrkdwn") => mrkdwn::to_html(&text),
        _ => mrkdwn::plain_to_html(&text),
    };
    Tpl::from_safe_string(html)
}

impl Pages {
    pub fn new() -> Result<Self, minijinja::Error> {
        let mut env = Environment::new();
        env.add_filter("slack_text", slack_text);
        env.add_template("blocks.html", include_str!("templates/blocks.html"))?;
        env.add_template("page.html", include_str!("templates/page.html"))?;
        env.add_template(
            "conversation.html",
            include_str!("templates/conversation.html"),
        )?;
        env.add_template("modal.html", include_str!("templates/modal.html"))?;
        env.add_template("panel.html", include_str!("templates/panel.html"))?;
        env.add_template("hint.html", include_str!("templates/hint.html"))?;
        Ok(Self { env })
    }

    fn render(&self, name: &str, ctx: Tpl) -> Result<String, minijinja::Error> {
        self.env.get_template(name)?.render(ctx)
    }

    /// The fragments for `snapshot`.
    pub fn fragments(
        &self,
        snapshot: &Snapshot,
        panel: &Panel,
        intro: &Intro,
    ) -> Result<Fragments, minijinja::Error> {
        let entries: Vec<Value> = snapshot.entries.iter().map(entry_context).collect();
        let conversation = self.render(
            "conversation.html",
            context! { entries => ser(&entries), intro => ser(intro) },
        )?;
        let (modal, modal_key, callback) = match &snapshot.modal {
            Some((id, view, hash, errors)) => (
                self.render(
                    "modal.html",
                    context! {
                        id => id, view => ser(view), errors => ser(errors),
                    },
                )?,
                format!(
                    "{id}/{hash}/{}",
                    serde_json::to_string(errors).unwrap_or_default()
                ),
                Some(view["callback_id"].as_str().unwrap_or("").to_owned()),
            ),
            None => (String::new(), String::new(), None),
        };
        let modal_blocks = snapshot
            .modal
            .as_ref()
            .map(|(_, view, _, _)| view["blocks"].to_string())
            .unwrap_or_default();
        // The hint follows where the person is: a connect modal asks for a key they do not
        // have, so it names the sample one.
        let step = match callback.as_deref() {
            Some("fathom_connect") if modal_blocks.contains("plain_text_input") => "connect",
            Some("fathom_connect") => "checking",
            Some(_) if modal_blocks.contains("static_select") => "pick",
            Some(_) if modal_blocks.contains("fathom_connect_open") => "no_fathom",
            Some(_) => "modal",
            None if has_ready_message(snapshot) => "ready",
            None if snapshot.entries.is_empty() => "start",
            None => "wait",
        };
        let panel = self.render("panel.html", context! { panel => ser(panel) })?;
        let hint = self.render("hint.html", context! { step => step, intro => ser(intro) })?;
        Ok(Fragments {
            conversation_key: key_of(&conversation),
            conversation,
            modal,
            modal_key,
            panel_key: key_of(&panel),
            panel,
            hint_key: key_of(&hint),
            hint,
            banner: snapshot.banner.clone().unwrap_or_default(),
        })
    }

    /// The whole page, with the current fragments in place (it works before any script runs).
    pub fn page(&self, fragments: &Fragments, intro: &Intro) -> Result<String, minijinja::Error> {
        self.render(
            "page.html",
            context! { f => ser(fragments), intro => ser(intro) },
        )
    }
}

fn has_ready_message(snapshot: &Snapshot) -> bool {
    snapshot.entries.iter().any(|(entry, message)| {
        matches!(entry, Entry::Bot(_))
            && message
                .as_ref()
                .is_some_and(|m| m["blocks"].to_string().contains("followup_view"))
    })
}

/// One conversation entry as the template reads it.
fn entry_context((entry, message): &(Entry, Option<Value>)) -> Value {
    use super::payloads::with_block_ids;
    match entry {
        Entry::Typed(text) => serde_json::json!({"kind": "typed", "text": text}),
        Entry::Ephemeral(answer) => serde_json::json!({
            "kind": "ephemeral",
            "text": answer["text"].as_str().unwrap_or(""),
            "blocks": with_block_ids(&answer["blocks"]),
        }),
        Entry::Bot(ts) => {
            let message = message.clone().unwrap_or_default();
            serde_json::json!({
                "kind": "bot",
                "ts": ts,
                "text": message["text"].as_str().unwrap_or(""),
                "blocks": with_block_ids(&message["blocks"]),
                "edited": message.get("edited").is_some(),
            })
        }
    }
}
