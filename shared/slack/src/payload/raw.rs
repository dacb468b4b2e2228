//! Forgiving deserialization helpers for fields whose JSON type varies across Slack payloads.
//!
//! Slack reuses names with different shapes (`user` is an id string in `message` but an object
//! in `user_change`; `channel` is a string in `message` but an object in `channel_created`).
//! Unknown event types must still parse, so such fields are read without failing.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A JSON value kept only if it is a string; any other type (object, number, null) is `None`.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct LooseStr(pub Option<String>);

impl LooseStr {
    pub fn as_deref(&self) -> Option<&str> {
        self.0.as_deref()
    }
}

impl<'de> Deserialize<'de> for LooseStr {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LooseStrVisitor)
    }
}

struct LooseStrVisitor;

impl<'de> Visitor<'de> for LooseStrVisitor {
    type Value = LooseStr;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<LooseStr, E> {
        Ok(LooseStr(Some(v.to_owned())))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<LooseStr, E> {
        Ok(LooseStr(Some(v)))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<LooseStr, E> {
        Ok(LooseStr(None))
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<LooseStr, E> {
        Ok(LooseStr(None))
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<LooseStr, E> {
        Ok(LooseStr(None))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<LooseStr, E> {
        Ok(LooseStr(None))
    }
    fn visit_unit<E: de::Error>(self) -> Result<LooseStr, E> {
        Ok(LooseStr(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<LooseStr, E> {
        Ok(LooseStr(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<LooseStr, D::Error> {
        LooseStr::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LooseStr, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(LooseStr(None))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LooseStr, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(LooseStr(None))
    }
}

/// `is_enterprise_install` arrives as a JSON boolean in events and interactions and as the
/// string `"true"`/`"false"` in slash commands. Like Bolt, only `true` and `"true"` count.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Flag(pub bool);

impl<'de> Deserialize<'de> for Flag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(FlagVisitor)
    }
}

struct FlagVisitor;

impl<'de> Visitor<'de> for FlagVisitor {
    type Value = Flag;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a boolean or \"true\"/\"false\"")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Flag, E> {
        Ok(Flag(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Flag, E> {
        Ok(Flag(v == "true"))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Flag, E> {
        Ok(Flag(false))
    }
    fn visit_none<E: de::Error>(self) -> Result<Flag, E> {
        Ok(Flag(false))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Flag, D::Error> {
        Flag::deserialize(d)
    }
}

/// An object such as `team`, `user`, `enterprise` or `channel` in interaction payloads, or the
/// bare id string some payloads use instead (Bolt accepts both). Only the id-bearing members
/// are kept.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct RawRef {
    pub id: Option<String>,
    pub team_id: Option<String>,
    pub enterprise_id: Option<String>,
}

impl<'de> Deserialize<'de> for RawRef {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawRefVisitor)
    }
}

struct RawRefVisitor;

impl<'de> Visitor<'de> for RawRefVisitor {
    type Value = RawRef;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an id string or an object with an id")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawRef, E> {
        Ok(RawRef {
            id: Some(v.to_owned()),
            ..RawRef::default()
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawRef, A::Error> {
        let mut out = RawRef::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "id" => out.id = map.next_value::<LooseStr>()?.0,
                "team_id" => out.team_id = map.next_value::<LooseStr>()?.0,
                "enterprise_id" => out.enterprise_id = map.next_value::<LooseStr>()?.0,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}
