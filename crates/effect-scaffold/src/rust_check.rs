//! Generated Rust is parsed before it is written, so a generator bug is
//! caught here, with a clear message, rather than in the user's build.

use crate::error::ScaffoldError;

/// Checks that `text`, the generated `file`, parses as a Rust file.
pub(crate) fn check_rust(file: &str, text: &str) -> Result<(), ScaffoldError> {
    syn::parse_file(text)
        .map(|_| ())
        .map_err(|e| ScaffoldError::Generated {
            file: file.to_string(),
            reason: e.to_string(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_that_does_not_parse_is_a_generator_bug() {
        assert!(check_rust("src/ok.rs", "pub fn f() {}\n").is_ok());
        let error = check_rust("src/bad.rs", "pub fn (")
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("generated `src/bad.rs` does not parse"),
            "{error}"
        );
        assert!(error.contains("bug in the scaffold"), "{error}");
    }
}
