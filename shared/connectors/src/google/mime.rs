//! The RFC 5322 message of a Gmail draft (B.2): `multipart/alternative` with the plain text
//! and an HTML rendering of it, `To` the recipients, the subject RFC 2047-encoded when it is
//! not ASCII (mail-builder does the encoding and the folding), no `From` (Gmail fills in the
//! authenticated user).
//!
//! The domain gives plain text only (`EmailDraft::body_text`, the user's edited draft), so
//! the HTML is derived here and holds nothing the text does not: every character escaped,
//! blank lines as paragraphs, single newlines as `<br>`. The repo did the reverse (HTML from
//! the AI, a crude text part stripped from it); deriving HTML from text cannot inject markup.

use followup::EmailDraft;
use mail_builder::MessageBuilder;
use mail_builder::headers::address::Address;

use crate::http::ConnectorError;

/// The message, ready for base64url. Errors only if writing to memory fails.
pub fn draft_message(email: &EmailDraft) -> Result<Vec<u8>, ConnectorError> {
    let recipients: Vec<Address<'_>> = email
        .to
        .iter()
        .map(|mailbox| {
            // `EmailAddress` already refuses anything that could break out of `<…>`. A
            // non-ASCII name goes out as an encoded word inside quotes (mail-builder's way;
            // RFC 2047 §5 wants it unquoted). Mail readers decode it, the fake's parser too;
            // how Gmail shows it is UNCONFIRMED. The address, which is what delivers, is
            // unaffected.
            let name = mailbox
                .name
                .as_deref()
                .map(one_line)
                .filter(|n| !n.is_empty());
            Address::new_address(name, mailbox.address.as_str())
        })
        .collect();
    let mut message = MessageBuilder::new();
    if !recipients.is_empty() {
        message = message.to(Address::new_list(recipients));
    }
    message
        .subject(one_line(&email.subject))
        .text_body(normalise_newlines(&email.body_text))
        .html_body(html_of(&email.body_text))
        .write_to_vec()
        .map_err(|_| ConnectorError::invalid(super::PROVIDER, "message could not be built"))
}

/// The HTML part: the text escaped, paragraphs at blank lines, `<br>` at single newlines.
pub fn html_of(text: &str) -> String {
    let text = normalise_newlines(text);
    let paragraphs: Vec<String> = text
        .split("\n\n")
        .map(|p| p.trim_matches('\n'))
        .filter(|p| !p.trim().is_empty())
        .map(|p| {
            let lines: Vec<String> = p.split('\n').map(escape).collect();
            format!("<p>{}</p>", lines.join("<br>\n"))
        })
        .collect();
    format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"></head><body>\n{}\n</body></html>\n",
        paragraphs.join("\n")
    )
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

/// A header's text on one line: a newline in an AI-written subject or a name must neither
/// end the header early nor start a new one.
fn one_line(text: &str) -> String {
    text.split(|c: char| c.is_control())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
        .trim()
        .to_owned()
}

fn normalise_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

#[cfg(test)]
mod tests {
    use followup::{EmailAddress, Mailbox};

    use super::*;

    #[test]
    fn html_escapes_everything_and_keeps_paragraphs_and_line_breaks() {
        let html = html_of("Hi <John> & team,\r\n\r\nline one\nline \"two\"\n\n\n");
        assert!(
            html.contains(
                "<p>Hi &lt;John&gt; &amp; team,</p>\n<p>line one<br>\nline &quot;two&quot;</p>"
            ),
            "{html}"
        );
    }

    #[test]
    fn the_message_has_no_from_an_encoded_subject_and_both_parts() {
        let email = EmailDraft {
            to: vec![
                Mailbox {
                    name: Some("Zoë\r\nBcc: x@evil.test".into()),
                    address: EmailAddress::parse("zoe@client.test").unwrap(),
                },
                Mailbox {
                    name: None,
                    address: EmailAddress::parse("john@client.test").unwrap(),
                },
            ],
            subject: "Riepilogo: prossimi passi è già\nX-Injected: 1".into(),
            body_text: "Ciao,\n\ngrazie.".into(),
        };
        let raw = String::from_utf8(draft_message(&email).unwrap()).unwrap();
        let headers = raw.split("\r\n\r\n").next().unwrap();
        assert!(!headers.contains("\nFrom:"), "{headers}");
        assert!(
            !headers.contains("\nBcc:") && !headers.contains("\nX-Injected:"),
            "{headers}"
        );
        assert!(
            headers.contains("=?utf-8?"),
            "subject not RFC 2047: {headers}"
        );
        assert!(!headers.contains("già"), "raw UTF-8 in a header: {headers}");
        assert!(headers.contains("<john@client.test>"));
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain") && raw.contains("text/html"));
    }
}
