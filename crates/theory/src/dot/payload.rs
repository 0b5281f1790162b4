//! The payload text inside a nuscr label's parentheses: `` (unit), `i32`,
//! `x: i32, y: i32` (a record) or `i32, bool` (a product).
//!
//! The binary notation (`!a(int);end`) uses the same text, so both parsers
//! share this module.

use telltale_types::PayloadSort;
use thiserror::Error;

/// A payload text that is not a sort, with the byte offset of the problem.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[error("at byte {offset} of the payload: {message}")]
pub struct PayloadError {
    /// Byte offset within the payload text.
    pub offset: usize,
    /// What was expected or wrong.
    pub message: String,
}

/// Reads the text between a label's parentheses as a payload sort.
pub fn parse_payload(text: &str) -> Result<PayloadSort, PayloadError> {
    let mut reader = Reader {
        text,
        pos: 0,
        depth: 0,
    };
    let items = reader.items(None)?;
    reader.skip_space();
    if reader.pos < text.len() {
        return Err(reader.error("expected `,` or the end of the payload"));
    }
    match items {
        Items::Unnamed(sorts) if sorts.is_empty() => Ok(PayloadSort::Unit),
        Items::Unnamed(mut sorts) if sorts.len() == 1 => Ok(sorts.remove(0)),
        Items::Unnamed(sorts) => Ok(PayloadSort::Product(sorts)),
        Items::Named(fields) => Ok(PayloadSort::Record(fields)),
    }
}

/// Prints a sort as payload text that [`parse_payload`] reads back, in nuscr's
/// style (`int` as `i32`, records without braces).
pub fn payload_to_text(sort: &PayloadSort) -> String {
    match sort {
        PayloadSort::Unit => String::new(),
        PayloadSort::Product(items) if items.len() >= 2 => join(items.iter().map(sort_to_text)),
        PayloadSort::Record(fields) if !fields.is_empty() => join(
            fields
                .iter()
                .map(|(name, sort)| format!("{name}: {}", sort_to_text(sort))),
        ),
        other => sort_to_text(other),
    }
}

fn join(parts: impl Iterator<Item = String>) -> String {
    parts.collect::<Vec<_>>().join(", ")
}

/// A nested sort: products in parentheses, records in braces.
fn sort_to_text(sort: &PayloadSort) -> String {
    telltale_types::stack::with_headroom(|| match sort {
        PayloadSort::Unit => "()".to_string(),
        PayloadSort::Bool => "bool".to_string(),
        PayloadSort::Nat => "u32".to_string(),
        PayloadSort::Int => "i32".to_string(),
        PayloadSort::Real => "f64".to_string(),
        PayloadSort::String => "String".to_string(),
        PayloadSort::Bytes => "bytes".to_string(),
        PayloadSort::Named(path) => path.clone(),
        PayloadSort::Product(items) => format!("({})", join(items.iter().map(sort_to_text))),
        PayloadSort::Record(fields) => format!(
            "{{{}}}",
            join(
                fields
                    .iter()
                    .map(|(name, sort)| format!("{name}: {}", sort_to_text(sort)))
            )
        ),
    })
}

/// A comma-separated list that is either all `name: sort` or all `sort`.
enum Items {
    Unnamed(Vec<PayloadSort>),
    Named(Vec<(String, PayloadSort)>),
}

struct Reader<'a> {
    text: &'a str,
    pos: usize,
    /// Sorts open around the current position, bounded by `PayloadSort::MAX_DEPTH`.
    depth: usize,
}

impl Reader<'_> {
    fn error(&self, message: &str) -> PayloadError {
        PayloadError {
            offset: self.pos,
            message: message.to_string(),
        }
    }

    fn skip_space(&mut self) {
        let rest = &self.text[self.pos..];
        self.pos += rest.len() - rest.trim_start().len();
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        self.skip_space();
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    /// A dotted identifier path such as `i32` or `api.Order`.
    fn path(&mut self) -> Option<&str> {
        self.skip_space();
        let start = self.pos;
        let rest = &self.text[start..];
        let len = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        self.pos += len;
        (len > 0).then(|| &self.text[start..start + len])
    }

    /// Items up to `close` (or the end of the text when `close` is `None`).
    fn items(&mut self, close: Option<char>) -> Result<Items, PayloadError> {
        let mut unnamed = Vec::new();
        let mut named = Vec::new();
        loop {
            self.skip_space();
            let at_end = match close {
                Some(c) => self.peek() == Some(c),
                None => self.peek().is_none(),
            };
            if at_end && unnamed.is_empty() && named.is_empty() {
                break;
            }
            let item_start = self.pos;
            let sort = self.sort()?;
            if self.eat(':') {
                let PayloadSort::Named(name) = &sort else {
                    self.pos = item_start;
                    return Err(self.error("expected a field name before `:`"));
                };
                let name = name.clone();
                if name.contains('.') || !unnamed.is_empty() {
                    self.pos = item_start;
                    return Err(self.error("fields must all be named or all unnamed"));
                }
                named.push((name, self.sort()?));
            } else if named.is_empty() {
                unnamed.push(sort);
            } else {
                self.pos = item_start;
                return Err(self.error("fields must all be named or all unnamed"));
            }
            if !self.eat(',') {
                break;
            }
        }
        Ok(if named.is_empty() {
            Items::Unnamed(unnamed)
        } else {
            Items::Named(named)
        })
    }

    /// One sort: a path, a parenthesised product or a braced record.
    fn sort(&mut self) -> Result<PayloadSort, PayloadError> {
        if self.depth >= PayloadSort::MAX_DEPTH {
            return Err(self.error(&format!(
                "payload sort nested deeper than {} levels",
                PayloadSort::MAX_DEPTH
            )));
        }
        self.depth += 1;
        let sort = self.sort_at_depth();
        self.depth -= 1;
        sort
    }

    fn sort_at_depth(&mut self) -> Result<PayloadSort, PayloadError> {
        telltale_types::stack::with_headroom(|| {
            self.skip_space();
            let open = self.pos;
            if self.eat('(') {
                let items = self.items(Some(')'))?;
                if !self.eat(')') {
                    return Err(self.error("expected `)`"));
                }
                return match items {
                    Items::Unnamed(sorts) if sorts.is_empty() => Ok(PayloadSort::Unit),
                    Items::Unnamed(sorts) => Ok(PayloadSort::Product(sorts)),
                    Items::Named(_) => Err(PayloadError {
                        offset: open,
                        message: "named fields belong in braces `{}`".to_string(),
                    }),
                };
            }
            if self.eat('{') {
                let items = self.items(Some('}'))?;
                if !self.eat('}') {
                    return Err(self.error("expected `}`"));
                }
                return match items {
                    Items::Named(fields) => Ok(PayloadSort::Record(fields)),
                    Items::Unnamed(sorts) if sorts.is_empty() => Ok(PayloadSort::Record(vec![])),
                    Items::Unnamed(_) => Err(PayloadError {
                        offset: open,
                        message: "record fields need names".to_string(),
                    }),
                };
            }
            let start = self.pos;
            let Some(name) = self.path() else {
                return Err(self.error("expected a sort"));
            };
            PayloadSort::from_name(name).map_err(|e| PayloadError {
                offset: start,
                message: e.to_string(),
            })
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn check(text: &str, expected: PayloadSort) {
        let sort = parse_payload(text).unwrap();
        assert_eq!(sort, expected, "{text}");
        assert_eq!(
            parse_payload(&payload_to_text(&sort)).unwrap(),
            sort,
            "{text}"
        );
    }

    #[test]
    fn payloads_nested_a_million_deep_are_refused() {
        let depth = 1_000_000;
        let text = format!("{}i32{}", "(".repeat(depth), ")".repeat(depth));
        let err = parse_payload(&text).unwrap_err();
        assert_eq!(err.offset, PayloadSort::MAX_DEPTH);
        assert!(
            err.message.contains("nested deeper than 1000 levels"),
            "{err}"
        );
        let within = PayloadSort::MAX_DEPTH - 1;
        let text = format!("{}i32{}", "(".repeat(within), ")".repeat(within));
        assert!(parse_payload(&text).is_ok());
    }

    #[test]
    fn payload_forms_parse_and_print_back() {
        check("", PayloadSort::Unit);
        check(" i32 ", PayloadSort::Int);
        check("api.Order", PayloadSort::Named("api.Order".into()));
        check(
            "x: i32, y: bool",
            PayloadSort::Record(vec![
                ("x".into(), PayloadSort::Int),
                ("y".into(), PayloadSort::Bool),
            ]),
        );
        check(
            "i32, string",
            PayloadSort::Product(vec![PayloadSort::Int, PayloadSort::String]),
        );
        check("(i32)", PayloadSort::Product(vec![PayloadSort::Int]));
        check(
            "a: (i32, {b: u8}), c: ()",
            PayloadSort::Record(vec![
                (
                    "a".into(),
                    PayloadSort::Product(vec![
                        PayloadSort::Int,
                        PayloadSort::Record(vec![("b".into(), PayloadSort::Nat)]),
                    ]),
                ),
                ("c".into(), PayloadSort::Unit),
            ]),
        );
        check("{}", PayloadSort::Record(vec![]));
    }

    #[test]
    fn bad_payloads_say_where() {
        let check_err = |text: &str, offset: usize| {
            let err = parse_payload(text).unwrap_err();
            assert_eq!(err.offset, offset, "{text}: {err}");
        };
        check_err("x: i32, bool", 8);
        check_err("i32, y: bool", 5);
        check_err("i32 i32", 4);
        check_err("(i32", 4);
        check_err("-", 0);
        check_err("a.b: i32", 0);
        check_err("{i32}", 0);
        check_err(" (a: i32)", 1);
    }
}
