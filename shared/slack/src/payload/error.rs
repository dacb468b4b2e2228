//! The payload layer's error, built so that its text never contains a payload value.

use tenant::IdError;

/// Why a verified body could not be turned into a request. Maps to HTTP 400 at the edge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayloadError {
    /// The body (or an interaction's `payload` field) is not the JSON we expect. `detail` is
    /// serde's message with any quoted value removed.
    #[error("malformed JSON at line {line} column {column}: {detail}")]
    Json {
        detail: String,
        line: usize,
        column: usize,
    },
    /// The form body could not be decoded (invalid UTF-8, a duplicated field).
    #[error("malformed form body: {detail}")]
    Form { detail: String },
    /// The events endpoint received a top-level `type` we do not know.
    #[error("unknown request type `{0}`")]
    UnknownType(String),
    /// A field this kind of payload must carry is absent or null.
    #[error("missing field `{0}`")]
    MissingField(&'static str),
    /// A field that must hold a Slack id holds something else.
    #[error("field `{field}` is not a valid id")]
    InvalidId {
        field: &'static str,
        #[source]
        source: IdError,
    },
    /// A form body that is neither `ssl_check`, a slash command nor an interaction.
    #[error("form body is neither a slash command, an interaction nor an ssl_check")]
    UnrecognisedForm,
    /// Neither a team nor an enterprise could be found, so no tenant can be named.
    #[error("payload names no team and no enterprise")]
    NoTenant,
    /// `is_enterprise_install` is true but no enterprise id came with it.
    #[error("org-wide install without an enterprise id")]
    OrgInstallWithoutEnterprise,
}

impl PayloadError {
    pub(crate) fn json(err: &serde_json::Error) -> Self {
        Self::Json {
            detail: sanitize(&strip_position(&err.to_string())),
            line: err.line(),
            column: err.column(),
        }
    }

    pub(crate) fn form(err: &serde_urlencoded::de::Error) -> Self {
        Self::Form {
            detail: sanitize(&err.to_string()),
        }
    }

    /// The type name, kept only when it looks like a Slack type name (so it is safe to log).
    pub(crate) fn unknown_type(kind: &str) -> Self {
        let looks_like_a_type = !kind.is_empty()
            && kind.len() <= 48
            && kind.bytes().all(|b| b.is_ascii_lowercase() || b == b'_');
        Self::UnknownType(if looks_like_a_type {
            kind.to_owned()
        } else {
            "<not shown>".to_owned()
        })
    }
}

/// serde_json appends " at line L column C"; we carry those as fields.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// serde quotes string values it complains about (`invalid type: string "xoxb-…"`). Anything
/// quoted may be a token, so such messages are replaced; messages naming only fields or types
/// (`missing field `event_id``) are kept because they are what a developer needs.
fn sanitize(message: &str) -> String {
    if message.contains('"') || message.len() > 200 {
        "value of an unexpected type or shape".to_owned()
    } else {
        message.to_owned()
    }
}

/// Parses an optional id, treating an empty string as absent (Bolt's `build_context` ignores
/// falsy ids the same way).
pub(crate) fn opt_id<T>(
    raw: Option<&str>,
    field: &'static str,
    parse: fn(&str) -> Result<T, IdError>,
) -> Result<Option<T>, PayloadError> {
    match raw {
        None | Some("") => Ok(None),
        Some(s) => parse(s)
            .map(Some)
            .map_err(|source| PayloadError::InvalidId { field, source }),
    }
}

/// Parses a required id.
pub(crate) fn req_id<T>(
    raw: Option<&str>,
    field: &'static str,
    parse: fn(&str) -> Result<T, IdError>,
) -> Result<T, PayloadError> {
    opt_id(raw, field, parse)?.ok_or(PayloadError::MissingField(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_do_not_echo_string_values() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct N {
            n: i64,
        }
        let err = serde_json::from_str::<N>(r#"{"n":"xoxb-secret-token"}"#).unwrap_err();
        let shown = PayloadError::json(&err).to_string();
        assert!(!shown.contains("xoxb"), "{shown}");
        assert!(shown.contains("line 1"), "{shown}");
    }

    #[test]
    fn json_errors_keep_field_names() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct N {
            n: i64,
        }
        let err = serde_json::from_str::<N>("{}").unwrap_err();
        assert!(
            PayloadError::json(&err)
                .to_string()
                .contains("missing field `n`")
        );
    }

    #[test]
    fn odd_type_names_are_not_echoed() {
        assert_eq!(
            PayloadError::unknown_type("block_actions"),
            PayloadError::UnknownType("block_actions".into())
        );
        assert_eq!(
            PayloadError::unknown_type("xoxb-123"),
            PayloadError::UnknownType("<not shown>".into())
        );
    }
}
