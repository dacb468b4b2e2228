//! Checks a tool's input against the subset of JSON Schema our tool schemas use (`type`,
//! `properties`, `required`, `items`, `additionalProperties: false`), before serde reads it:
//! serde's own errors quote the offending value and do not say where it was, while these name
//! the field (`email.body: expected string`) and quote nothing.

use serde_json::Value;

pub(crate) fn check(value: &Value, schema: &Value) -> Result<(), String> {
    check_at(value, schema, "")
}

fn check_at(value: &Value, schema: &Value, path: &str) -> Result<(), String> {
    let here = if path.is_empty() { "input" } else { path };
    if let Some(kind) = schema.get("type") {
        let kinds: Vec<&str> = match kind {
            Value::String(k) => vec![k.as_str()],
            Value::Array(ks) => ks.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if !kinds.iter().any(|k| is_type(value, k)) {
            return Err(format!("{here}: expected {}", kinds.join(" or ")));
        }
    }
    if let (Some(object), Some(properties)) = (value.as_object(), schema.get("properties")) {
        for name in schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !object.contains_key(name) {
                return Err(format!("missing field `{}`", join(path, name)));
            }
        }
        for (name, field) in object {
            match properties.get(name) {
                Some(sub) => check_at(field, sub, &join(path, name))?,
                None if schema["additionalProperties"] == Value::Bool(false) => {
                    // The name is the model's, not the customer's, but keep it short anyway.
                    let shown: String = name.chars().take(40).collect();
                    return Err(format!("unexpected field `{}`", join(path, &shown)));
                }
                None => {}
            }
        }
    }
    if let (Some(items), Some(item_schema)) = (value.as_array(), schema.get("items")) {
        for (i, item) in items.iter().enumerate() {
            check_at(item, item_schema, &format!("{here}[{i}]"))?;
        }
    }
    Ok(())
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

fn is_type(value: &Value, kind: &str) -> bool {
    match kind {
        "string" => value.is_string(),
        "boolean" => value.is_boolean(),
        "object" => value.is_object(),
        "array" => value.is_array(),
        "null" => value.is_null(),
        "integer" => value.is_i64() || value.is_u64(),
        "number" => value.is_number(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_the_field_and_quotes_no_value() {
        let schema = json!({"type": "object", "required": ["a", "b"], "additionalProperties": false,
            "properties": {"a": {"type": "string"}, "b": {"type": "object", "required": ["c"],
                "properties": {"c": {"type": ["string", "null"]}, "d": {"type": "array", "items": {"type": "string"}}}}}});
        assert_eq!(check(&json!({"a": "x", "b": {"c": null}}), &schema), Ok(()));
        assert_eq!(
            check(&json!({"a": "x"}), &schema),
            Err("missing field `b`".into())
        );
        assert_eq!(
            check(&json!({"a": 1, "b": {"c": "secret words"}}), &schema),
            Err("a: expected string".into())
        );
        assert_eq!(
            check(&json!({"a": "x", "b": {"c": true}}), &schema),
            Err("b.c: expected string or null".into())
        );
        assert_eq!(
            check(&json!({"a": "x", "b": {"c": "y", "d": ["ok", 3]}}), &schema),
            Err("b.d[1]: expected string".into())
        );
        assert_eq!(
            check(&json!({"a": "x", "b": {"c": "y"}, "z": 1}), &schema),
            Err("unexpected field `z`".into())
        );
    }
}
