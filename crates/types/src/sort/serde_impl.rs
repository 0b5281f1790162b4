//! Serde for payload sorts: the Lean-bridge JSON shape for people, a tagged
//! encoding for postcard, and a depth bound for every reader.
//!
//! Reading recurses once per level of nesting inside the deserializer, so
//! [`PayloadSort::MAX_DEPTH`] bounds it; each level also runs inside
//! [`with_headroom`], so the bound holds even when the sort sits at the
//! bottom of a very deep protocol.

use super::PayloadSort;
use crate::stack::with_headroom;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cell::Cell;
use std::fmt;

thread_local! {
    /// How many sorts are being read, one inside the other, on this thread.
    static READ_DEPTH: Cell<usize> = const { Cell::new(0) };
    /// Whether the depth bound refused a sort since the last [`watch_depth`].
    static REFUSED: Cell<bool> = const { Cell::new(false) };
}

/// Runs a read and says whether it met a sort nested deeper than
/// [`PayloadSort::MAX_DEPTH`]. Postcard drops the text of a custom error,
/// so `telltale_types::value::guard_depth` (the one guard binary readers
/// use) asks this to still name the cause.
pub(crate) fn watch_depth<T>(read: impl FnOnce() -> T) -> (T, bool) {
    let outer = REFUSED.with(|r| r.replace(false));
    let value = read();
    let refused = REFUSED.with(|r| r.replace(outer));
    (value, refused)
}

/// One level of nesting being read; leaving the level (also on error)
/// gives it back.
struct DepthGuard;

impl DepthGuard {
    fn enter<E: de::Error>() -> Result<Self, E> {
        let depth = READ_DEPTH.with(|d| d.get());
        if depth >= PayloadSort::MAX_DEPTH {
            REFUSED.with(|r| r.set(true));
            return Err(E::custom(format!(
                "payload sort nested deeper than {} levels",
                PayloadSort::MAX_DEPTH
            )));
        }
        READ_DEPTH.with(|d| d.set(depth + 1));
        Ok(DepthGuard)
    }
}

impl Drop for DepthGuard {
    fn drop(&mut self) {
        READ_DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    }
}

impl Serialize for PayloadSort {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        with_headroom(|| {
            if !s.is_human_readable() {
                return BinarySort::serialize(self, s);
            }
            match self {
                PayloadSort::Product(product) => {
                    let mut m = s.serialize_map(Some(1))?;
                    m.serialize_entry("product", product)?;
                    m.end()
                }
                PayloadSort::Record(fields) => {
                    let record: Vec<FieldRef<'_>> = fields
                        .iter()
                        .map(|(name, sort)| FieldRef { name, sort })
                        .collect();
                    let mut m = s.serialize_map(Some(1))?;
                    m.serialize_entry("record", &record)?;
                    m.end()
                }
                leaf => s.collect_str(leaf),
            }
        })
    }
}

impl<'de> Deserialize<'de> for PayloadSort {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        with_headroom(|| {
            let _level = DepthGuard::enter::<D::Error>()?;
            if d.is_human_readable() {
                d.deserialize_any(JsonSortVisitor)
            } else {
                BinarySort::deserialize(d)
            }
        })
    }
}

/// The tagged binary encoding of a sort (a serde remote mirror).
#[derive(Serialize, Deserialize)]
#[serde(remote = "PayloadSort")]
enum BinarySort {
    Unit,
    Bool,
    Nat,
    Int,
    Real,
    String,
    Bytes,
    Named(String),
    Product(Vec<PayloadSort>),
    Record(Vec<(String, PayloadSort)>),
}

/// One field of a record sort in JSON, as written.
#[derive(Serialize)]
struct FieldRef<'a> {
    name: &'a str,
    sort: &'a PayloadSort,
}

/// One field of a record sort in JSON, as read.
#[derive(Deserialize)]
struct FieldRepr {
    name: String,
    sort: PayloadSort,
}

/// Reads the JSON shape directly (no buffering of the input): a name
/// string, `{"product": [...]}` or `{"record": [...]}`.
struct JsonSortVisitor;

impl<'de> Visitor<'de> for JsonSortVisitor {
    type Value = PayloadSort;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"a sort name, {"product": [...]} or {"record": [...]}"#)
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<PayloadSort, E> {
        PayloadSort::from_name(name).map_err(E::custom)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PayloadSort, A::Error> {
        let mut sort = None;
        while let Some(key) = map.next_key::<String>()? {
            let read = match key.as_str() {
                "product" => PayloadSort::Product(map.next_value()?),
                "record" => PayloadSort::Record(
                    map.next_value::<Vec<FieldRepr>>()?
                        .into_iter()
                        .map(|field| (field.name, field.sort))
                        .collect(),
                ),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            if sort.replace(read).is_some() {
                return Err(de::Error::custom(
                    "a sort object has exactly one of `product` and `record`",
                ));
            }
        }
        sort.ok_or_else(|| de::Error::custom("a sort object needs `product` or `record`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json::from_json;

    /// `{"product":[` nested `depth` deep around `"unit"`.
    fn deep_json(depth: usize) -> String {
        let mut text = r#"{"product":["#.repeat(depth);
        text.push_str(r#""unit""#);
        text.push_str(&"]}".repeat(depth));
        text
    }

    /// Postcard bytes of a product nested `depth` deep around unit.
    fn deep_postcard(depth: usize) -> Vec<u8> {
        let mut bytes = [8u8, 1].repeat(depth);
        bytes.push(0);
        bytes
    }

    #[test]
    fn readers_accept_sorts_up_to_the_bound() {
        let depth = PayloadSort::MAX_DEPTH - 1;
        let json: PayloadSort = from_json(&deep_json(depth)).unwrap();
        let binary: PayloadSort = postcard::from_bytes(&deep_postcard(depth)).unwrap();
        assert_eq!(json, binary);
        assert_eq!(postcard::to_allocvec(&json).unwrap(), deep_postcard(depth));
    }

    #[test]
    fn readers_refuse_a_sort_a_million_deep() {
        let depth = 1_000_000;
        let err = from_json::<PayloadSort>(&deep_json(depth)).unwrap_err();
        assert!(
            err.to_string()
                .contains("payload sort nested deeper than 1000 levels"),
            "{err}"
        );
        let err = postcard::from_bytes::<PayloadSort>(&deep_postcard(depth)).unwrap_err();
        assert!(matches!(err, postcard::Error::SerdeDeCustom), "{err}");
        let (read, refused) =
            watch_depth(|| postcard::from_bytes::<PayloadSort>(&deep_postcard(depth)));
        assert!(read.is_err() && refused);
        let (read, refused) =
            watch_depth(|| postcard::from_bytes::<PayloadSort>(&deep_postcard(3)));
        assert!(read.is_ok() && !refused);
        // The bound is per nesting, not per input: a later read starts afresh.
        assert_eq!(
            from_json::<PayloadSort>(r#""int""#).unwrap(),
            PayloadSort::Int
        );
    }

    #[test]
    fn json_sort_objects_are_checked() {
        for (text, expected) in [
            (r#"{"product":[],"record":[]}"#, "exactly one"),
            (r#"{"other":1}"#, "needs `product` or `record`"),
            (r#"{"record":[{"name":"a"}]}"#, "missing field `sort`"),
            (r#"3"#, "a sort name"),
        ] {
            let err = from_json::<PayloadSort>(text).unwrap_err().to_string();
            assert!(err.contains(expected), "{text}: {err}");
        }
        let sort: PayloadSort = from_json(r#"{"note":"x","product":["int"]}"#).unwrap();
        assert_eq!(sort, PayloadSort::Product(vec![PayloadSort::Int]));
    }
}
