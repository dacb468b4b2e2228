//! The fake's `GET /oauth/v2/authorize`: a small consent page in the spirit of Slack's, with an
//! "Allow" link to `redirect_uri?code=…&state=…` and a "Cancel" link to
//! `redirect_uri?error=access_denied&state=…`. A browser test clicks them (`#allow`,
//! `#cancel`); other tests use [`super::FakeSlack::authorize`] and skip the page.

use app::pages::escape;
use std::time::Instant;

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{Map, Value};

use super::{RecordedCall, Shared, lock, oauth, take_failure};

/// The `method` under which authorize page visits are recorded (and can be failed).
pub const AUTHORIZE: &str = "oauth/v2/authorize";

pub(super) async fn page(State(shared): State<Shared>, uri: Uri) -> Response {
    let params: Map<String, Value> = uri
        .query()
        .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let mut inner = lock(&shared);
    inner.calls.push(RecordedCall {
        method: AUTHORIZE.to_owned(),
        path: uri.path().to_owned(),
        token: None,
        body: Value::Object(params.clone()),
        at: Instant::now(),
    });
    if let Some(failure) = take_failure(&mut inner, AUTHORIZE) {
        return super::failure_response(&failure);
    }
    let allow = match oauth::authorize(&mut inner, &params) {
        Ok(url) => url,
        Err(code) => return error_page(code),
    };
    let cancel = oauth::cancel_url(&params).unwrap_or_default();
    let settings = &inner.oauth.settings;
    let get = |k: &str| params.get(k).and_then(Value::as_str).unwrap_or("");
    let workspace = if settings.org_wide {
        settings
            .enterprise_name
            .clone()
            .unwrap_or_else(|| "your organization".into())
    } else {
        settings.team_name.clone()
    };
    let list = |raw: &str| -> String {
        raw.split(',')
            .filter(|s| !s.trim().is_empty())
            .map(|s| format!("<li><code>{}</code></li>", escape(s.trim())))
            .collect()
    };
    let bot = list(get("scope"));
    let user = list(get("user_scope"));
    let user_block = if user.is_empty() {
        String::new()
    } else {
        format!("<h2>On your behalf, it will be able to</h2><ul>{user}</ul>")
    };
    Html(format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{app} is requesting permission | Fake Slack</title>
<style>
body {{ font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; background: #f4ede4;
  margin: 0; color: #1d1c1d; }}
.card {{ max-width: 520px; margin: 64px auto; background: #fff; border-radius: 12px;
  box-shadow: 0 4px 24px rgba(0,0,0,.08); padding: 32px 40px; }}
.brand {{ color: #4a154b; font-weight: 800; letter-spacing: .5px; }}
h1 {{ font-size: 22px; }} h2 {{ font-size: 15px; color: #616061; margin-top: 24px; }}
ul {{ padding-left: 20px; }} li {{ margin: 6px 0; }}
.actions {{ display: flex; gap: 12px; justify-content: flex-end; margin-top: 32px; }}
a.button {{ padding: 10px 22px; border-radius: 6px; text-decoration: none; font-weight: 700; }}
#allow {{ background: #007a5a; color: #fff; }} #cancel {{ border: 1px solid #bbb; color: #1d1c1d; }}
</style></head>
<body><div class="card">
<div class="brand">fake slack</div>
<h1><strong>{app}</strong> is requesting permission to access the <strong id="workspace">{workspace}</strong> Slack workspace</h1>
<h2>What will {app} be able to view and do?</h2>
<ul id="scopes">{bot}</ul>
{user_block}
<div class="actions">
<a class="button" id="cancel" href="{cancel}">Cancel</a>
<a class="button" id="allow" href="{allow}">Allow</a>
</div></div></body></html>"#,
        app = escape(&settings.app_name),
        workspace = escape(&workspace),
        cancel = escape(&cancel),
        allow = escape(&allow),
    ))
    .into_response()
}

fn error_page(code: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(format!(
            "<!doctype html><html><head><title>Fake Slack: OAuth error</title></head><body>\
             <h1>Something went wrong when authorizing this app.</h1>\
             <p>Error details: <code id=\"error\">{}</code></p></body></html>",
            escape(code)
        )),
    )
        .into_response()
}
