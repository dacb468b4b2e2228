//! SOQL text the client builds (§1). Every value goes through [`literal`] (or [`like`] for a
//! `LIKE` pattern): SOQL string literals are single-quoted with backslash escapes, so a name a
//! user typed (`x' OR Name != '`) stays one string and cannot change the query.

use followup::crm::Domain;

/// `value` as a SOQL string literal, quotes included.
pub(super) fn literal(value: &str) -> String {
    format!("'{}'", escape(value, false))
}

/// A `LIKE` pattern literal: `value`'s own `%` and `_` are escaped (they are wildcards), then
/// `prefix` and `suffix` (made of wildcards and fixed text the caller controls) added.
pub(super) fn like(prefix: &str, value: &str, suffix: &str) -> String {
    format!("'{prefix}{}{suffix}'", escape(value, true))
}

fn escape(value: &str, wildcards: bool) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '%' | '_' if wildcards => {
                out.push('\\');
                out.push(c);
            }
            // Other control characters have no SOQL escape and no place in a search.
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// The `WHERE` condition for accounts whose `Website` is one of `domains`, as people type
/// it: bare (`acme.com`), with `www.`, with a scheme, with a path. Each pattern is anchored
/// at the domain's both ends (`://` or the start before it; the end, `/` or `:` after it),
/// so `notacme.com` and `acme.com.evil.io` never match; what still could (a domain inside
/// another URL's query) is dropped by [`website_matches`].
pub(super) fn website_condition(domains: &[&Domain]) -> String {
    let mut terms = Vec::new();
    for domain in domains {
        for host in [
            domain.as_str().to_owned(),
            format!("www.{}", domain.as_str()),
        ] {
            terms.push(format!("Website = {}", literal(&host)));
            for (prefix, suffix) in [
                ("", "/%"),
                ("", ":%"),
                ("%://", ""),
                ("%://", "/%"),
                ("%://", ":%"),
            ] {
                terms.push(format!("Website LIKE {}", like(prefix, &host, suffix)));
            }
        }
    }
    format!("({})", terms.join(" OR "))
}

/// Whether a record's `Website` is exactly on `domain` (scheme, `www.`, port, path aside).
pub(super) fn website_matches(website: Option<&str>, domain: &Domain) -> bool {
    website
        .and_then(|w| Domain::parse(w).ok())
        .is_some_and(|d| d == *domain)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_cannot_break_out_of_their_quotes() {
        assert_eq!(literal("O'Brien"), r"'O\'Brien'");
        assert_eq!(literal(r"a\' OR Name != '"), r"'a\\\' OR Name != \''");
        assert_eq!(literal("line\nbreak\u{0}"), r"'line\nbreak'");
        assert_eq!(like("%", "50%_off", "%"), r"'%50\%\_off%'");
    }

    #[test]
    fn website_patterns_are_bounded_at_both_ends_of_the_domain() {
        let acme = Domain::parse("acme.com").unwrap();
        let condition = website_condition(&[&acme]);
        assert!(condition.contains("Website = 'acme.com'"));
        assert!(condition.contains("Website LIKE '%://www.acme.com/%'"));
        assert!(!condition.contains("'%acme.com%'"), "{condition}");
        for site in [
            "acme.com",
            "https://www.acme.com/",
            "http://ACME.com:8080/x",
        ] {
            assert!(website_matches(Some(site), &acme), "{site}");
        }
        for site in [
            "notacme.com",
            "https://acme.com.evil.io",
            "https://evil.io/?u=https://acme.com",
            "",
        ] {
            assert!(!website_matches(Some(site), &acme), "{site}");
        }
        assert!(!website_matches(None, &acme));
    }
}
