//! A file that declares no protocol is an error wherever a file is checked:
//! an empty file, or one with only comments or type declarations, must not
//! pass silently as if every protocol in it were sound.

use crate::ast::{Dialect, Module};
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use crate::source::{SourceFile, Span};

/// The E037 diagnostic for a parsed file without any protocol, located at
/// the start of the file; `None` when the file declares at least one.
pub fn require_protocol(file: &SourceFile, module: &Module) -> Option<Diagnostic> {
    if !module.protocols().is_empty() {
        return None;
    }
    let help = match module.dialect {
        Dialect::Tell => {
            "declare one, e.g. `protocol Ping =` then `roles A, B` and `A -> B : Ping` on indented lines"
        }
        Dialect::Nuscr => {
            "declare one, e.g. `global protocol Ping(role A, role B) { Ping() from A to B; }`"
        }
    };
    let diagnostic = Diagnostic::new(
        DiagnosticKind::NoProtocol,
        format!("no protocol declared in `{}`", file.name),
        Span::new(0, 0),
        "this file declares no protocol",
    );
    Some(diagnostic.with_help(help))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::load;

    fn diagnose(name: &str, text: &str) -> Option<Diagnostic> {
        let file = SourceFile::new(name, text);
        let (module, diagnostics) = load(&file);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        require_protocol(&file, &module)
    }

    #[test]
    fn files_without_a_protocol_are_refused() {
        for (name, text) in [
            ("empty.tell", ""),
            ("comments.tell", "-- only a comment\n"),
            ("types.tell", "type Vote = | Approve | Reject\n"),
            ("empty.nuscr", ""),
            ("comments.nuscr", "// only a comment\n(* and another *)\n"),
        ] {
            let d = diagnose(name, text).unwrap();
            assert_eq!(d.kind, DiagnosticKind::NoProtocol);
            assert_eq!(d.message, format!("no protocol declared in `{name}`"));
            let help = d.help.unwrap();
            let scribble = name.ends_with(".nuscr");
            assert_eq!(help.contains("global protocol"), scribble, "{help}");
        }
    }

    #[test]
    fn files_with_a_protocol_pass() {
        assert!(diagnose("p.tell", "protocol P =\n  roles A, B\n  A -> B : M\n").is_none());
        let scribble = "global protocol P(role A, role B) { M() from A to B; }";
        assert!(diagnose("p.nuscr", scribble).is_none());
    }
}
