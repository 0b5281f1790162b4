//! Protocol names to Rust identifiers.

use proc_macro2::Ident;

/// `PingPong` → `ping_pong`, `HTTPServer` → `http_server`, `W0` → `w0`.
pub fn snake_case(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_uppercase() {
            let prev = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1).copied();
            let starts_word = match prev {
                None | Some('_') => false,
                Some(p) if p.is_lowercase() || p.is_ascii_digit() => true,
                Some(p) => p.is_uppercase() && next.is_some_and(char::is_lowercase),
            };
            if starts_word {
                out.push('_');
            }
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// `make_offer` → `MakeOffer`, `ping` → `Ping`; capitals are kept.
pub fn upper_camel(name: &str) -> String {
    name.split('_')
        .filter(|piece| !piece.is_empty())
        .map(|piece| {
            let mut chars = piece.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect()
}

/// The names the Rust 2021 prelude puts in scope in the type and value
/// namespaces. A generated item with one of these names would shadow it
/// after `use my_protocol::*;` (`fn main() -> Result<(), String>` would
/// stop compiling), so generated names avoid them.
const PRELUDE: &[&str] = &[
    "AsMut",
    "AsRef",
    "Box",
    "Clone",
    "Copy",
    "Default",
    "DoubleEndedIterator",
    "Drop",
    "Eq",
    "Err",
    "ExactSizeIterator",
    "Extend",
    "Fn",
    "FnMut",
    "FnOnce",
    "From",
    "FromIterator",
    "Into",
    "IntoIterator",
    "Iterator",
    "None",
    "Ok",
    "Option",
    "Ord",
    "PartialEq",
    "PartialOrd",
    "Result",
    "Send",
    "Sized",
    "Some",
    "String",
    "Sync",
    "ToOwned",
    "ToString",
    "TryFrom",
    "TryInto",
    "Unpin",
    "Vec",
];

/// Whether a generated item named `name` would shadow a prelude name.
pub fn shadows_prelude(name: &str) -> bool {
    PRELUDE.contains(&name)
}

/// The identifier `name` if Rust accepts it as one (no keywords).
pub fn rust_ident(name: &str) -> Option<Ident> {
    syn::parse_str::<Ident>(name).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(name: &str, snake: &str, camel: &str) {
        assert_eq!(snake_case(name), snake, "{name}");
        assert_eq!(upper_camel(name), camel, "{name}");
    }

    #[test]
    fn names_convert_between_cases() {
        check("PingPong", "ping_pong", "PingPong");
        check("HTTPServer", "http_server", "HTTPServer");
        check("W0", "w0", "W0");
        check("make_offer", "make_offer", "MakeOffer");
        check("ping", "ping", "Ping");
        check("ThreeBuyer", "three_buyer", "ThreeBuyer");
    }

    #[test]
    fn prelude_names_are_recognised() {
        for name in [
            "Result", "Option", "Box", "String", "Vec", "Ok", "Err", "Some", "None",
        ] {
            assert!(shadows_prelude(name), "{name}");
        }
        assert!(!shadows_prelude("Order"));
        assert!(!shadows_prelude("result"));
    }

    #[test]
    fn keywords_and_junk_are_not_identifiers() {
        assert!(rust_ident("type").is_none());
        assert!(rust_ident("a-b").is_none());
        assert!(rust_ident("").is_none());
        assert!(rust_ident("Alice").is_some());
    }
}
