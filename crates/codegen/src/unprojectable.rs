//! A projection failure as a located diagnostic, rendered like `tell check`
//! renders it: `line:col` inside the DSL, the excerpt and a help.

use telltale_lang::{Diagnostic, DiagnosticKind, LoweredProtocol, Span};
use telltale_theory::projection::ProjectionError;

/// The diagnostic of `error`, raised while projecting `protocol` whose
/// source text is `text`.
///
/// The lowered type has no spans, so the diagnostic points at the choice
/// when the protocol has exactly one `choice` of the deciding role, and at
/// the protocol's declaration otherwise.
pub fn diagnostic(protocol: &LoweredProtocol, text: &str, error: &ProjectionError) -> Diagnostic {
    let message = format!("protocol `{}` is not projectable: {error}", protocol.name);
    let (span, label, help) = match error {
        ProjectionError::MergeConflict(conflict) => {
            let (sender, role) = (conflict.sender.as_str(), conflict.role.as_str());
            let help = format!(
                "`{role}` cannot tell which branch `{sender}` chose; have `{sender}` (or \
                 `{}`) send `{role}` a message at the start of each branch, or make \
                 `{role}` act the same in every branch",
                conflict.receiver
            );
            match choice_of(protocol.span, text, sender) {
                Some(span) => (span, format!("`{role}` takes no part in this choice"), help),
                None => (protocol.span, "in this protocol".to_string(), help),
            }
        }
        ProjectionError::EmptyChoice { .. } => (
            protocol.span,
            "in this protocol".to_string(),
            "give every choice at least one branch".to_string(),
        ),
        ProjectionError::SelfCommunication { sender, .. } => (
            protocol.span,
            "in this protocol".to_string(),
            format!("`{sender}` must send to another role"),
        ),
    };
    Diagnostic::new(DiagnosticKind::Unprojectable, message, span, label).with_help(help)
}

/// The span of `choice <sender>` inside the protocol, if it occurs once.
fn choice_of(protocol: Span, text: &str, sender: &str) -> Option<Span> {
    let body = text.get(protocol.start..protocol.end)?;
    let needle = format!("choice {sender}");
    let mut found = body.match_indices(&needle).filter(|(at, _)| {
        // A whole word: `choice A` must not match `choice AB`.
        let after = body[at + needle.len()..].chars().next();
        !after.is_some_and(|c| c.is_alphanumeric() || c == '_')
    });
    let (at, _) = found.next()?;
    if found.next().is_some() {
        return None;
    }
    let start = protocol.start + at;
    Some(Span::new(start, start + needle.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_single_choice_of_the_sender_is_found() {
        let text = "protocol P =\n  roles A, AB\n  choice AB at\n  choice A at\n";
        let whole = Span::new(0, text.len());
        let span = choice_of(whole, text, "A").map(|s| &text[s.start..s.end]);
        assert_eq!(span, Some("choice A"));
        assert_eq!(choice_of(whole, text, "AB").map(|s| s.start), Some(29));
        assert_eq!(choice_of(whole, text, "C"), None);
        let twice = "choice A at\nchoice A at\n";
        assert_eq!(choice_of(Span::new(0, twice.len()), twice, "A"), None);
    }
}
