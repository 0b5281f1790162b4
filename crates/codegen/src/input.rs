//! The macro's arguments: an inline protocol literal or `file = "path"`.

use crate::error::MacroError;
use proc_macro2::Span;
use std::collections::BTreeMap;
use std::ops::Range;
use std::path::PathBuf;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitInt, LitStr, Token};

/// Where the protocol text comes from.
pub enum ProtocolSource {
    /// `choreography!(r#"protocol ..."#)`.
    Inline(LitStr),
    /// `choreography!(file = "examples/ping_pong.tell")`, relative to the
    /// calling crate's `CARGO_MANIFEST_DIR`.
    File(LitStr),
}

impl Parse for ProtocolSource {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let source = if input.peek(LitStr) {
            ProtocolSource::Inline(input.parse()?)
        } else {
            let key: Ident = input.parse()?;
            if key != "file" {
                return Err(syn::Error::new(
                    key.span(),
                    "expected a protocol string literal or `file = \"path/to/protocol.tell\"`",
                ));
            }
            input.parse::<Token![=]>()?;
            ProtocolSource::File(input.parse()?)
        };
        Ok(source)
    }
}

/// The macro's arguments: the protocol and the values of its family-size
/// parameters, `params(N = 3, K = 2)`.
pub struct MacroArgs {
    /// Where the protocol comes from.
    pub source: ProtocolSource,
    /// Parameter values for the lowering, by name.
    pub params: BTreeMap<String, u64>,
}

impl Parse for MacroArgs {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let source = input.parse()?;
        let mut params = BTreeMap::new();
        if input.peek(Token![,]) {
            input.parse::<Token![,]>()?;
        }
        if !input.is_empty() {
            let key: Ident = input.parse()?;
            if key != "params" {
                return Err(syn::Error::new(
                    key.span(),
                    "expected `params(NAME = value, ...)` after the protocol",
                ));
            }
            let content;
            syn::parenthesized!(content in input);
            while !content.is_empty() {
                let name: Ident = content.parse()?;
                content.parse::<Token![=]>()?;
                let value: LitInt = content.parse()?;
                if params
                    .insert(name.to_string(), value.base10_parse::<u64>()?)
                    .is_some()
                {
                    return Err(syn::Error::new(
                        name.span(),
                        format!("parameter `{name}` is given twice"),
                    ));
                }
                if content.peek(Token![,]) {
                    content.parse::<Token![,]>()?;
                }
            }
            if input.peek(Token![,]) {
                input.parse::<Token![,]>()?;
            }
        }
        if !input.is_empty() {
            return Err(input.error("unexpected tokens after the macro arguments"));
        }
        Ok(MacroArgs { source, params })
    }
}

/// The protocol text with what is needed to point back into the macro call.
pub struct LoadedSource {
    /// The name diagnostics print (`<inline>` or the path as written).
    pub name: String,
    /// The protocol text.
    pub text: String,
    /// The absolute path of a protocol file, so the expansion can depend on it.
    pub file: Option<PathBuf>,
    /// The string literal of the macro call.
    pub literal: LitStr,
}

impl ProtocolSource {
    /// Reads the protocol text.
    pub fn load(self) -> Result<LoadedSource, MacroError> {
        match self {
            ProtocolSource::Inline(literal) => Ok(LoadedSource {
                name: "<inline protocol>".into(),
                text: literal.value(),
                file: None,
                literal,
            }),
            ProtocolSource::File(literal) => {
                let relative = literal.value();
                let base = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
                let path = PathBuf::from(base).join(&relative);
                let text = std::fs::read_to_string(&path).map_err(|e| MacroError::File {
                    span: literal.span(),
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?;
                Ok(LoadedSource {
                    name: relative,
                    text,
                    file: Some(path),
                    literal,
                })
            }
        }
    }
}

impl LoadedSource {
    /// The span of the DSL bytes `range` when the compiler can point inside
    /// the literal, else the whole literal.
    pub fn span_of(&self, range: Range<usize>) -> Span {
        if self.file.is_some() {
            return self.literal.span();
        }
        let token = self.literal.token();
        literal_offset(&token.to_string())
            .and_then(|prefix| token.subspan(prefix + range.start..prefix + range.end))
            .unwrap_or_else(|| self.literal.span())
    }
}

/// Where the protocol text starts inside the literal's source text, when
/// byte offsets in the value equal byte offsets in the source (raw strings,
/// or plain strings without escapes).
fn literal_offset(source: &str) -> Option<usize> {
    if source.starts_with('r') {
        source.find('"').map(|quote| quote + 1)
    } else if source.starts_with('"') && !source.contains('\\') {
        Some(1)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn check_parse(tokens: &str, inline: bool, value: &str, params: &[(&str, u64)]) {
        let args: MacroArgs = syn::parse_str(tokens).unwrap();
        let literal = match args.source {
            ProtocolSource::Inline(l) => {
                assert!(inline, "{tokens}");
                l
            }
            ProtocolSource::File(l) => {
                assert!(!inline, "{tokens}");
                l
            }
        };
        assert_eq!(literal.value(), value);
        let expected: BTreeMap<String, u64> =
            params.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        assert_eq!(args.params, expected);
    }

    #[test]
    fn both_argument_forms_parse() {
        check_parse(r##"r#"protocol P ="#"##, true, "protocol P =", &[]);
        check_parse(r#""x","#, true, "x", &[]);
        check_parse(r#"file = "a/b.tell""#, false, "a/b.tell", &[]);
        check_parse(
            r#"file = "a.tell", params(N = 3, K = 2),"#,
            false,
            "a.tell",
            &[("K", 2), ("N", 3)],
        );
    }

    #[test]
    fn malformed_arguments_are_errors() {
        for tokens in [
            r#"path = "x""#,
            r#""a" "b""#,
            "",
            "file",
            r#""a", param(N = 1)"#,
            r#""a", params(N = 1, N = 2)"#,
            r#""a", params(N = -1)"#,
            r#""a", params(N = 1) extra"#,
        ] {
            assert!(syn::parse_str::<MacroArgs>(tokens).is_err(), "{tokens}");
        }
    }

    #[test]
    fn literal_offsets_skip_the_opening_quote() {
        assert_eq!(literal_offset(r##"r#"abc"#"##), Some(3));
        assert_eq!(literal_offset(r#""abc""#), Some(1));
        assert_eq!(literal_offset(r#""a\nb""#), None);
    }
}
