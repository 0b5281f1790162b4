//! The Lean-bridge JSON schema: serde for [`GlobalType`] and [`LocalType`].
//!
//! ```text
//! global: {"kind":"comm","sender":"A","receiver":"B","branches":[B...]}
//! local:  {"kind":"send","partner":"B","branches":[B...]}
//!         {"kind":"recv","partner":"A","branches":[B...]}
//! both:   {"kind":"rec","var":"t","body":T}  {"kind":"var","name":"t"}  {"kind":"end"}
//! branch: {"label":{"name":"ping","sort":"unit"},"continuation":T}
//! ```
//!
//! Object keys may come in any order and unknown keys are ignored, so files
//! written by newer versions of the formal model still load. Reading and
//! writing work at any nesting depth.

use crate::error::TypesError;
use crate::global::{Branch, GlobalType};
use crate::local::LocalType;
use crate::role::Role;
use crate::stack::with_headroom;
use serde::de::{self, DeserializeOwned, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::marker::PhantomData;

/// Reads a global type from Lean-bridge JSON.
pub fn global_from_json(text: &str) -> Result<GlobalType, TypesError> {
    from_json(text)
}

/// Writes a global type as compact Lean-bridge JSON (any depth).
pub fn global_to_json(g: &GlobalType) -> Result<String, TypesError> {
    to_json(g)
}

/// Writes a global type as indented Lean-bridge JSON, for people to read.
///
/// Indentation grows with depth, so prefer [`global_to_json`] for very
/// long protocols.
pub fn global_to_json_pretty(g: &GlobalType) -> Result<String, TypesError> {
    to_json_pretty(g)
}

/// Reads a local type from Lean-bridge JSON.
pub fn local_from_json(text: &str) -> Result<LocalType, TypesError> {
    from_json(text)
}

/// Writes a local type as compact Lean-bridge JSON (any depth).
pub fn local_to_json(t: &LocalType) -> Result<String, TypesError> {
    to_json(t)
}

/// Writes a local type as indented Lean-bridge JSON, for people to read.
pub fn local_to_json_pretty(t: &LocalType) -> Result<String, TypesError> {
    to_json_pretty(t)
}

/// Reads any value from JSON without serde_json's nesting limit (our types
/// guard their own stack use).
pub fn from_json<T: DeserializeOwned>(text: &str) -> Result<T, TypesError> {
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let value = T::deserialize(&mut de).map_err(|e| TypesError::Json(e.to_string()))?;
    de.end().map_err(|e| TypesError::Json(e.to_string()))?;
    Ok(value)
}

/// Writes any value as compact JSON.
pub fn to_json<T: Serialize>(value: &T) -> Result<String, TypesError> {
    serde_json::to_string(value).map_err(|e| TypesError::Json(e.to_string()))
}

/// Writes any value as indented JSON.
pub fn to_json_pretty<T: Serialize>(value: &T) -> Result<String, TypesError> {
    serde_json::to_string_pretty(value).map_err(|e| TypesError::Json(e.to_string()))
}

impl Serialize for GlobalType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        with_headroom(|| match self {
            GlobalType::Comm {
                sender,
                receiver,
                branches,
            } => {
                let mut m = s.serialize_map(Some(4))?;
                m.serialize_entry("kind", "comm")?;
                m.serialize_entry("sender", sender)?;
                m.serialize_entry("receiver", receiver)?;
                m.serialize_entry("branches", branches)?;
                m.end()
            }
            GlobalType::Rec { var, body } => serialize_rec(s, var, body),
            GlobalType::Var(name) => serialize_var(s, name),
            GlobalType::End => serialize_end(s),
        })
    }
}

impl Serialize for LocalType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        with_headroom(|| match self {
            LocalType::Send { partner, branches } | LocalType::Recv { partner, branches } => {
                let kind = if matches!(self, LocalType::Send { .. }) {
                    "send"
                } else {
                    "recv"
                };
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("kind", kind)?;
                m.serialize_entry("partner", partner)?;
                m.serialize_entry("branches", branches)?;
                m.end()
            }
            LocalType::Rec { var, body } => serialize_rec(s, var, body),
            LocalType::Var(name) => serialize_var(s, name),
            LocalType::End => serialize_end(s),
        })
    }
}

fn serialize_rec<S: Serializer, T: Serialize>(
    s: S,
    var: &str,
    body: &T,
) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(3))?;
    m.serialize_entry("kind", "rec")?;
    m.serialize_entry("var", var)?;
    m.serialize_entry("body", body)?;
    m.end()
}

fn serialize_var<S: Serializer>(s: S, name: &str) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(2))?;
    m.serialize_entry("kind", "var")?;
    m.serialize_entry("name", name)?;
    m.end()
}

fn serialize_end<S: Serializer>(s: S) -> Result<S::Ok, S::Error> {
    let mut m = s.serialize_map(Some(1))?;
    m.serialize_entry("kind", "end")?;
    m.end()
}

/// Every field any node of either schema may carry, collected in any order.
struct RawNode<T> {
    kind: Option<String>,
    sender: Option<Role>,
    receiver: Option<Role>,
    partner: Option<Role>,
    branches: Option<Vec<Branch<T>>>,
    var: Option<String>,
    body: Option<T>,
    name: Option<String>,
}

impl<T> RawNode<T> {
    fn kind(&self) -> Result<&str, String> {
        self.kind
            .as_deref()
            .ok_or_else(|| "missing field `kind`".to_string())
    }

    fn rec_parts(&mut self) -> Result<(String, T), String> {
        let var = self.var.take().ok_or("`rec` node without `var`")?;
        let body = self.body.take().ok_or("`rec` node without `body`")?;
        Ok((var, body))
    }

    fn var_name(&mut self) -> Result<String, String> {
        self.name
            .take()
            .ok_or_else(|| "`var` node without `name`".to_string())
    }

    fn branches(&mut self, kind: &str) -> Result<Vec<Branch<T>>, String> {
        self.branches
            .take()
            .ok_or_else(|| format!("`{kind}` node without `branches`"))
    }
}

impl RawNode<GlobalType> {
    fn into_global(mut self) -> Result<GlobalType, String> {
        let kind = self.kind()?.to_string();
        Ok(match kind.as_str() {
            "comm" => GlobalType::Comm {
                sender: self.sender.take().ok_or("`comm` node without `sender`")?,
                receiver: self
                    .receiver
                    .take()
                    .ok_or("`comm` node without `receiver`")?,
                branches: self.branches("comm")?,
            },
            "rec" => {
                let (var, body) = self.rec_parts()?;
                GlobalType::rec(var, body)
            }
            "var" => GlobalType::Var(self.var_name()?),
            "end" => GlobalType::End,
            other => {
                return Err(format!(
                    "unknown global node kind `{other}` (expected comm, rec, var or end)"
                ))
            }
        })
    }
}

impl RawNode<LocalType> {
    fn into_local(mut self) -> Result<LocalType, String> {
        let kind = self.kind()?.to_string();
        let comm =
            |this: &mut Self, kind: &str| -> Result<(Role, Vec<Branch<LocalType>>), String> {
                let partner = this
                    .partner
                    .take()
                    .ok_or_else(|| format!("`{kind}` node without `partner`"))?;
                Ok((partner, this.branches(kind)?))
            };
        Ok(match kind.as_str() {
            "send" => {
                let (partner, branches) = comm(&mut self, "send")?;
                LocalType::Send { partner, branches }
            }
            "recv" => {
                let (partner, branches) = comm(&mut self, "recv")?;
                LocalType::Recv { partner, branches }
            }
            "rec" => {
                let (var, body) = self.rec_parts()?;
                LocalType::rec(var, body)
            }
            "var" => LocalType::Var(self.var_name()?),
            "end" => LocalType::End,
            other => {
                return Err(format!(
                    "unknown local node kind `{other}` (expected send, recv, rec, var or end)"
                ))
            }
        })
    }
}

struct RawVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for RawVisitor<T> {
    type Value = RawNode<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a type node object with a `kind` field")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut raw = RawNode {
            kind: None,
            sender: None,
            receiver: None,
            partner: None,
            branches: None,
            var: None,
            body: None,
            name: None,
        };
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "kind" => raw.kind = Some(map.next_value()?),
                "sender" => raw.sender = Some(map.next_value()?),
                "receiver" => raw.receiver = Some(map.next_value()?),
                "partner" => raw.partner = Some(map.next_value()?),
                "branches" => raw.branches = Some(map.next_value()?),
                "var" => raw.var = Some(map.next_value()?),
                "body" => raw.body = Some(map.next_value()?),
                "name" => raw.name = Some(map.next_value()?),
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(raw)
    }
}

impl<'de> Deserialize<'de> for GlobalType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        with_headroom(|| {
            d.deserialize_map(RawVisitor::<GlobalType>(PhantomData))?
                .into_global()
                .map_err(de::Error::custom)
        })
    }
}

impl<'de> Deserialize<'de> for LocalType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        with_headroom(|| {
            d.deserialize_map(RawVisitor::<LocalType>(PhantomData))?
                .into_local()
                .map_err(de::Error::custom)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Label, PayloadSort};

    #[test]
    fn reads_the_lean_schema() {
        let text = r#"{"kind":"rec","var":"t","body":{"kind":"comm","sender":"A","receiver":"B",
            "branches":[{"label":{"name":"more","sort":"int"},"continuation":{"kind":"var","name":"t"}},
                        {"continuation":{"kind":"end"},"label":{"sort":"unit","name":"stop"}}]}}"#;
        let g = global_from_json(text).expect("valid");
        assert_eq!(
            g,
            GlobalType::rec(
                "t",
                GlobalType::choice(
                    "A",
                    "B",
                    [
                        (Label::new("more", PayloadSort::Int), GlobalType::var("t")),
                        (Label::unit("stop"), GlobalType::End),
                    ]
                )
            )
        );
    }

    #[test]
    fn errors_say_what_is_missing() {
        let cases = [
            (
                r#"{"kind":"comm","sender":"A","branches":[]}"#,
                "without `receiver`",
            ),
            (r#"{"kind":"loop"}"#, "unknown global node kind `loop`"),
            (r#"{"sender":"A"}"#, "missing field `kind`"),
            (r#"{"kind":"rec","var":"t"}"#, "without `body`"),
            (r#"[1,2]"#, "type node object"),
            (r#"{"kind":"end"} trailing"#, "trailing"),
        ];
        for (text, expected) in cases {
            let err = global_from_json(text).expect_err(text).to_string();
            assert!(err.contains(expected), "{text}: {err}");
        }
        let err = local_from_json(r#"{"kind":"comm"}"#)
            .expect_err("local")
            .to_string();
        assert!(err.contains("unknown local node kind `comm`"), "{err}");
    }

    #[test]
    fn deep_json_round_trips() {
        let mut t = LocalType::End;
        for _ in 0..50_000 {
            t = LocalType::recv("A", Label::unit("m"), t);
        }
        let json = local_to_json(&t).expect("write");
        assert_eq!(local_from_json(&json).expect("read"), t);
    }

    #[test]
    fn a_sort_a_million_deep_is_an_error_in_both_schemas() {
        let depth = 1_000_000;
        let sort = format!(
            r#"{}"unit"{}"#,
            r#"{"product":["#.repeat(depth),
            "]}".repeat(depth)
        );
        let branches = format!(
            r#"[{{"label":{{"name":"m","sort":{sort}}},"continuation":{{"kind":"end"}}}}]"#
        );
        let global =
            format!(r#"{{"kind":"comm","sender":"A","receiver":"B","branches":{branches}}}"#);
        let local = format!(r#"{{"kind":"send","partner":"B","branches":{branches}}}"#);
        let expected = "payload sort nested deeper than 1000 levels";
        let err = global_from_json(&global).unwrap_err().to_string();
        assert!(err.contains(expected), "{err}");
        let err = local_from_json(&local).unwrap_err().to_string();
        assert!(err.contains(expected), "{err}");
    }

    #[test]
    fn postcard_round_trips() {
        let t = LocalType::rec(
            "x",
            LocalType::select(
                "B",
                [
                    (Label::unit("a"), LocalType::var("x")),
                    (Label::new("b", PayloadSort::Bytes), LocalType::End),
                ],
            ),
        );
        let bytes = postcard::to_allocvec(&t).expect("encode");
        let back: LocalType = postcard::from_bytes(&bytes).expect("decode");
        assert_eq!(back, t);
    }
}
