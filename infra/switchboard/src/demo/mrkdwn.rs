//! Slack's mrkdwn as HTML, for the demo page: `*bold*`, `_italic_`, `~strike~`, `` `code` ``,
//! links `<url|text>` and `<url>`, mentions `<@U…>`, line breaks, and the few emoji codes the
//! app's messages use. Everything else is text, HTML-escaped.
//!
//! Slack sends `&`, `<` and `>` as `&amp;`, `&lt;` and `&gt;` inside mrkdwn (the app escapes
//! them: `ui::escape_mrkdwn`), and a raw `<…>` is markup. So entities are decoded first and
//! the result escaped again for HTML: a meeting title with `<script>` shows as text.

use app::pages::escape;

/// Emoji codes the app's Block Kit uses, as the characters Slack shows.
const EMOJI: &[(&str, &str)] = &[
    (":hourglass_flowing_sand:", "⏳"),
    (":white_check_mark:", "✅"),
    (":warning:", "⚠️"),
    (":wave:", "👋"),
    (":calendar:", "📅"),
    (":email:", "📧"),
    (":memo:", "📝"),
];

/// `text` (Slack mrkdwn) as safe HTML.
pub fn to_html(text: &str) -> String {
    let mut html = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>').map(|c| open + c) else {
            break;
        };
        html.push_str(&styled(&rest[..open]));
        html.push_str(&markup(&rest[open + 1..close]));
        rest = &rest[close + 1..];
    }
    html.push_str(&styled(rest));
    html
}

/// A `plain_text` object as safe HTML: escaped, line breaks kept, the emoji codes shown
/// (the app's plain texts set `emoji: true`), never styled.
pub fn plain_to_html(text: &str) -> String {
    let mut text = text.to_owned();
    for (code, emoji) in EMOJI {
        text = text.replace(code, emoji);
    }
    escape(&text).replace('\n', "<br>")
}

/// `<…>` markup: a link, a mention, or a special mention.
fn markup(inner: &str) -> String {
    let (target, label) = match inner.split_once('|') {
        Some((target, label)) => (target, Some(label)),
        None => (inner, None),
    };
    let shown = |fallback: &str| escape(&decode(label.unwrap_or(fallback)));
    if let Some(user) = target.strip_prefix('@') {
        return format!("<span class=\"mention\">@{}</span>", shown(user));
    }
    if let Some(channel) = target.strip_prefix('#') {
        return format!("<span class=\"mention\">#{}</span>", shown(channel));
    }
    if let Some(special) = target.strip_prefix('!') {
        return format!("<span class=\"mention\">@{}</span>", shown(special));
    }
    let url = decode(target);
    // Only schemes a browser cannot run code with; anything else is shown, not linked.
    let linkable = ["https://", "http://", "mailto:"]
        .iter()
        .any(|scheme| url.to_ascii_lowercase().starts_with(scheme));
    if linkable {
        format!(
            "<a href=\"{}\" target=\"_blank\" rel=\"noopener noreferrer\">{}</a>",
            escape(&url),
            shown(&url)
        )
    } else {
        shown(&url)
    }
}

/// Slack's three entities back to characters.
fn decode(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// Text between markup: decoded, escaped, then styled line by line.
fn styled(text: &str) -> String {
    let mut text = decode(text);
    for (code, emoji) in EMOJI {
        text = text.replace(code, emoji);
    }
    text.split('\n')
        .map(|line| inline(&escape(line)))
        .collect::<Vec<_>>()
        .join("<br>")
}

/// `*bold*`, `_italic_`, `~strike~` and `` `code` `` in one escaped line. A delimiter opens
/// after a non-word character (or at the start) before a non-space, and closes before a
/// non-word character (or the end) after a non-space, as Slack's does: `snake_case_name` and
/// `2*3*4` stay as they are.
fn inline(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let tag = match c {
            '*' => Some("strong"),
            '_' => Some("em"),
            '~' => Some("del"),
            '`' => Some("code"),
            _ => None,
        };
        let opens = i == 0 || !chars[i - 1].is_alphanumeric();
        if let (Some(tag), true) = (tag, opens)
            && let Some(end) = closing(&chars, i, c)
        {
            let inner: String = chars[i + 1..end].iter().collect();
            // Code shows its content as typed; the others may nest styles.
            let inner = if tag == "code" { inner } else { inline(&inner) };
            out.push_str(&format!("<{tag}>{inner}</{tag}>"));
            i = end + 1;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

fn closing(chars: &[char], open: usize, delimiter: char) -> Option<usize> {
    let first = *chars.get(open + 1)?;
    if first.is_whitespace() || first == delimiter {
        return None;
    }
    (open + 2..chars.len()).find(|&j| {
        chars[j] == delimiter
            && !chars[j - 1].is_whitespace()
            && chars.get(j + 1).is_none_or(|next| !next.is_alphanumeric())
    })
}

#[cfg(test)]
mod tests {
    use super::to_html;

    #[test]
    fn bold_italic_strike_and_code_become_tags() {
        assert_eq!(
            to_html("Generating a follow-up for *Globex call*…"),
            "Generating a follow-up for <strong>Globex call</strong>…"
        );
        assert_eq!(
            to_html("_soon_ ~old~ `/followup connect`"),
            "<em>soon</em> <del>old</del> <code>/followup connect</code>"
        );
        assert_eq!(
            to_html("*bold _and italic_*"),
            "<strong>bold <em>and italic</em></strong>"
        );
    }

    #[test]
    fn delimiters_inside_words_and_unclosed_ones_stay_text() {
        assert_eq!(to_html("snake_case_name"), "snake_case_name");
        assert_eq!(to_html("2*3*4 and * alone"), "2*3*4 and * alone");
        assert_eq!(to_html("*not closed"), "*not closed");
    }

    #[test]
    fn links_mentions_and_line_breaks() {
        assert_eq!(
            to_html("See <https://fathom.video/x?a=1&amp;b=2|the call>\nbye"),
            "See <a href=\"https://fathom.video/x?a=1&amp;b=2\" target=\"_blank\" \
             rel=\"noopener noreferrer\">the call</a><br>bye"
        );
        assert_eq!(
            to_html("<@U0DEMO001> hi"),
            "<span class=\"mention\">@U0DEMO001</span> hi"
        );
        assert!(to_html("<https://example.com>").contains(">https://example.com</a>"));
    }

    #[test]
    fn everything_is_escaped_and_only_safe_schemes_are_linked() {
        assert_eq!(
            to_html("&lt;script&gt;alert(1)&lt;/script&gt; &amp; \"q\""),
            "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        assert_eq!(to_html("<javascript:alert(1)|click>"), "click");
        assert!(!to_html("<https://x.test/\"onmouseover=\"a|t>").contains("\"onmouseover"));
    }

    #[test]
    fn plain_text_is_escaped_and_never_styled() {
        assert_eq!(
            super::plain_to_html("View & edit *now* <b>\n:warning:"),
            "View &amp; edit *now* &lt;b&gt;<br>⚠️"
        );
    }

    #[test]
    fn the_apps_emoji_codes_show_as_emoji() {
        assert_eq!(to_html(":white_check_mark: ready"), "✅ ready");
        assert_eq!(to_html(":unknown_code:"), ":unknown_code:");
    }
}
