//! The demo's routes, mounted beside the app's on the same address (only by `switchboard
//! demo`): the page, its script, its state, and the person's actions.
//!
//! Actions are JSON posts: a page on another origin cannot send `application/json` without a
//! CORS preflight this server never grants, so no other site can act as the demo's user.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use tracing::warn;

use super::payloads::FormValues;
use super::render::{Fragments, Intro, Pages};
use super::session::{ActError, Session};

/// What the routes share.
pub struct Demo {
    pub session: Session,
    pub pages: Pages,
    pub intro: Intro,
}

pub fn router(demo: Arc<Demo>) -> Router {
    Router::new()
        .route("/demo", get(page))
        .route("/demo/demo.js", get(script))
        .route("/demo/state", get(state))
        .route("/demo/type", post(type_line))
        .route("/demo/press", post(press))
        .route("/demo/submit", post(submit))
        .route("/demo/close", post(close))
        .route("/demo/suggest", post(suggest))
        .with_state(demo)
}

/// The page's script and styles come from this server only; no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; \
                   connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; \
                   base-uri 'none'; form-action 'self'";

fn with_headers(mut res: Response, content_type: &'static str) -> Response {
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

fn broken(err: &minijinja::Error) -> Response {
    warn!(error = %err, "demo page could not be rendered");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        "the demo page could not be rendered",
    )
        .into_response()
}

fn fragments(demo: &Demo, problem: Option<ActError>) -> Result<Fragments, minijinja::Error> {
    let mut snapshot = demo.session.snapshot();
    if let Some(problem) = problem {
        warn!(error = %problem, "demo action failed");
        snapshot.banner = Some(problem.to_string());
    }
    let panel = super::panel::panel(&demo.session.fakes);
    demo.pages.fragments(&snapshot, &panel, &demo.intro)
}

fn answer(demo: &Demo, outcome: Result<(), ActError>) -> Response {
    match fragments(demo, outcome.err()) {
        Ok(f) => Json(f).into_response(),
        Err(err) => broken(&err),
    }
}

async fn page(State(demo): State<Arc<Demo>>) -> Response {
    match fragments(&demo, None).and_then(|f| demo.pages.page(&f, &demo.intro)) {
        Ok(html) => with_headers(html.into_response(), "text/html; charset=utf-8"),
        Err(err) => broken(&err),
    }
}

async fn script() -> Response {
    with_headers(
        include_str!("templates/demo.js").into_response(),
        "text/javascript; charset=utf-8",
    )
}

async fn state(State(demo): State<Arc<Demo>>) -> Response {
    answer(&demo, Ok(()))
}

#[derive(Deserialize)]
struct Typed {
    text: String,
}

async fn type_line(State(demo): State<Arc<Demo>>, Json(typed): Json<Typed>) -> Response {
    let outcome = demo.session.type_line(&typed.text).await;
    answer(&demo, outcome)
}

/// A button: in the open modal (`view_id`, with the modal's inputs in `values`) or in a DM
/// message (`ts`).
#[derive(Deserialize)]
struct Press {
    view_id: Option<String>,
    ts: Option<String>,
    block_id: String,
    action_id: String,
    #[serde(default)]
    values: FormValues,
}

async fn press(State(demo): State<Arc<Demo>>, Json(press): Json<Press>) -> Response {
    let session = &demo.session;
    let outcome = match (&press.view_id, &press.ts) {
        (Some(view), _) => {
            session
                .press_in_modal(view, &press.block_id, &press.action_id, &press.values)
                .await
        }
        (None, Some(ts)) => {
            session
                .press_in_message(ts, &press.block_id, &press.action_id)
                .await
        }
        (None, None) => Ok(()),
    };
    answer(&demo, outcome)
}

#[derive(Deserialize)]
struct Submit {
    view_id: String,
    #[serde(default)]
    values: FormValues,
}

async fn submit(State(demo): State<Arc<Demo>>, Json(submit): Json<Submit>) -> Response {
    let outcome = demo.session.submit(&submit.view_id, &submit.values).await;
    answer(&demo, outcome)
}

#[derive(Deserialize)]
struct Close {
    view_id: String,
}

async fn close(State(demo): State<Arc<Demo>>, Json(close): Json<Close>) -> Response {
    let outcome = demo.session.close(&close.view_id).await;
    answer(&demo, outcome)
}

/// What the person typed in an external select's search field of the open modal.
#[derive(Deserialize)]
struct Suggest {
    view_id: String,
    block_id: String,
    action_id: String,
    value: String,
    #[serde(default)]
    values: FormValues,
}

/// The options the app offered, as `{"options": [{"value", "text"}]}` for the page's select.
async fn suggest(State(demo): State<Arc<Demo>>, Json(typed): Json<Suggest>) -> Response {
    let outcome = demo
        .session
        .suggest(
            &typed.view_id,
            &typed.block_id,
            &typed.action_id,
            &typed.value,
            &typed.values,
        )
        .await;
    match outcome {
        Ok(options) => {
            let options: Vec<serde_json::Value> = options
                .iter()
                .map(|o| serde_json::json!({"value": o["value"], "text": o["text"]["text"]}))
                .collect();
            Json(serde_json::json!({"options": options})).into_response()
        }
        Err(err) => answer(&demo, Err(err)),
    }
}
