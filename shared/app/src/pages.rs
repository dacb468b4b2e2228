//! The look of the browser-facing pages (the install page, OAuth success and every error, and
//! the connectors' pages to come): one layout, one stylesheet, one HTML escape, and the headers
//! every such page gets. Shared here so that no function crate depends on another.
//!
//! Headers: `no-store` (a page may carry a fresh state), a CSP that allows only our inline
//! styles (no scripts at all), no framing (clickjacking of the "Add to Slack" button), and
//! `Referrer-Policy: no-referrer` so the `code` and `state` in the redirect URL never leak to
//! a site a page links to.

use crate::HttpResponse;
use http::{HeaderValue, StatusCode, header};

/// The product's name on every page.
pub const PRODUCT: &str = "Switchboard";

const STYLE: &str = r#"
:root { --ink:#1d1c1d; --muted:#616061; --brand:#4a154b; --accent:#007a5a; --line:#e8e8e8; }
* { box-sizing: border-box; }
body { margin:0; font-family:-apple-system,BlinkMacSystemFont,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
  color:var(--ink); background:linear-gradient(180deg,#f8f5fa 0,#fff 320px) no-repeat #fff;
  line-height:1.5; min-height:100vh; display:flex; flex-direction:column; }
header { display:flex; align-items:center; gap:10px; padding:20px 40px; }
.logo { width:34px; height:34px; border-radius:9px; background:var(--brand); color:#fff;
  display:grid; place-items:center; font-weight:800; font-size:19px; }
.name { font-weight:800; font-size:19px; letter-spacing:.2px; }
main { flex:1; width:100%; max-width:880px; margin:0 auto; padding:24px 40px 64px; }
h1 { font-size:40px; line-height:1.15; margin:24px 0 12px; letter-spacing:-.5px; }
h2 { font-size:20px; margin:40px 0 12px; }
.lead { font-size:19px; color:var(--muted); max-width:640px; }
.cta { margin:32px 0 40px; display:flex; align-items:center; gap:18px; flex-wrap:wrap; }
.button { display:inline-flex; align-items:center; gap:10px; padding:13px 24px; border-radius:8px;
  background:#fff; color:var(--ink); border:1px solid #ddd; font-weight:700; font-size:16px;
  text-decoration:none; box-shadow:0 1px 3px rgba(0,0,0,.08); }
.button:hover { box-shadow:0 3px 10px rgba(0,0,0,.12); }
.button.primary { background:var(--brand); color:#fff; border-color:var(--brand); }
.note { color:var(--muted); font-size:14px; }
.features { display:grid; grid-template-columns:repeat(auto-fit,minmax(230px,1fr)); gap:16px; margin-top:8px; }
.card { border:1px solid var(--line); border-radius:12px; padding:18px 20px; background:#fff; }
.card h3 { margin:0 0 6px; font-size:16px; }
.card p { margin:0; color:var(--muted); font-size:15px; }
table { width:100%; border-collapse:collapse; background:#fff; border:1px solid var(--line); border-radius:12px; overflow:hidden; }
td { padding:10px 16px; border-top:1px solid var(--line); vertical-align:top; font-size:15px; }
tr:first-child td { border-top:0; }
td code { background:#f4f4f4; padding:2px 6px; border-radius:4px; font-size:14px; white-space:nowrap; }
.status { max-width:600px; margin:48px auto; text-align:center; }
.status h1 { font-size:32px; }
.badge { width:64px; height:64px; margin:0 auto; border-radius:50%; display:grid; place-items:center;
  font-size:32px; color:#fff; background:var(--accent); }
.badge.warn { background:#e8912d; } .badge.err { background:#e01e5a; }
.detail { color:var(--muted); font-size:13px; margin-top:28px; }
footer { border-top:1px solid var(--line); color:var(--muted); font-size:13px; padding:20px 40px; text-align:center; }
"#;

/// A full HTML document with the product's header and footer around `body` (already HTML).
pub fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} | {PRODUCT}</title><style>{STYLE}</style></head>\
         <body><header><div class=\"logo\">S</div><div class=\"name\">{PRODUCT}</div></header>\
         <main>{body}</main>\
         <footer>{PRODUCT} keeps each workspace's data and tokens separate and encrypted. \
         Questions? Your workspace admin can remove the app at any time from Slack's app settings.</footer>\
         </body></html>",
        title = escape(title),
    )
}

/// A status page (success, cancelled, or an error) with a heading, a message (plain text,
/// escaped here) and an optional action link, answered with `status`.
pub fn status_page(
    status: StatusCode,
    kind: Badge,
    title: &str,
    message: &str,
    action: Option<(&str, &str)>,
) -> HttpResponse {
    let action = action
        .map(|(label, href)| {
            format!(
                "<div class=\"cta\" style=\"justify-content:center\">\
                 <a class=\"button primary\" id=\"action\" href=\"{}\">{}</a></div>",
                escape(href),
                escape(label)
            )
        })
        .unwrap_or_default();
    let body = format!(
        "<div class=\"status\"><div class=\"badge {class}\">{symbol}</div><h1>{title}</h1>\
         <p class=\"lead\">{message}</p>{action}</div>",
        class = kind.class(),
        symbol = kind.symbol(),
        title = escape(title),
        message = escape(message),
    );
    html(status, document(title, &body))
}

/// The badge on a status page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Badge {
    Success,
    Warning,
    Error,
}

impl Badge {
    fn class(self) -> &'static str {
        match self {
            Self::Success => "",
            Self::Warning => "warn",
            Self::Error => "err",
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            Self::Success => "&#10003;",
            Self::Warning => "!",
            Self::Error => "&#215;",
        }
    }
}

/// An HTML answer with the security headers every install-flow page gets.
pub fn html(status: StatusCode, body: String) -> HttpResponse {
    let mut res = http::Response::new(body);
    *res.status_mut() = status;
    let headers = res.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; img-src data:; \
             frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

/// HTML-escapes text and attribute values.
pub fn escape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_neutralises_markup_and_attribute_quotes() {
        assert_eq!(
            escape(r#"<a href="x">'&'</a>"#),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }

    #[test]
    fn pages_carry_the_security_headers() {
        let res = status_page(StatusCode::BAD_REQUEST, Badge::Error, "<t>", "m", None);
        assert_eq!(res.status(), StatusCode::BAD_REQUEST);
        assert_eq!(res.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(res.headers()[header::REFERRER_POLICY], "no-referrer");
        assert!(
            res.headers()[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .contains("frame-ancestors 'none'")
        );
        assert!(res.body().contains("&lt;t&gt;"));
        assert!(!res.body().contains("<t>"));
    }
}
