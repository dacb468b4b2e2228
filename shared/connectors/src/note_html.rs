//! Note bodies for CRMs that render HTML in notes (HubSpot's `hs_note_body`, hubspot.md §2;
//! Pipedrive's `content`, pipedrive.md §2): the port's plain text is escaped and its
//! paragraphs and line breaks kept.

/// `text` as HTML: every character that means something in HTML escaped, blank-line
/// separated paragraphs as `<p>`, single line breaks as `<br>`.
pub fn note_html(text: &str) -> String {
    let normalised = text.replace("\r\n", "\n");
    normalised
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            let lines: Vec<String> = p.lines().map(escape).collect();
            format!("<p>{}</p>", lines.join("<br>"))
        })
        .collect()
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_become_escaped_paragraphs() {
        assert_eq!(
            note_html("Met <John> & \"team\".\nIt's done.\n\n\nNext: proposal."),
            "<p>Met &lt;John&gt; &amp; &quot;team&quot;.<br>It&#39;s done.</p><p>Next: proposal.</p>"
        );
        assert_eq!(
            note_html("<script>alert(1)</script>"),
            "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"
        );
        assert_eq!(note_html("  \n\n "), "");
    }
}
