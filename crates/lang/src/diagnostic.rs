//! Diagnostics: what went wrong, where, and how to fix it.
//!
//! Diagnostics are plain data produced by the parsers and the lowering; they
//! are rendered to text only at the edge, by [`Diagnostic::render`].

use crate::source::Span;

/// The kind of a diagnostic; each kind has its own stable error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DiagnosticKind {
    /// A token the grammar does not allow at this point.
    Syntax,
    /// A character that starts no token, or an unterminated comment or string.
    Lexical,
    /// A role used but not listed in `roles`.
    UndeclaredRole,
    /// A role listed twice in `roles`.
    DuplicateRole,
    /// Two branches of one choice that send the same label to the same role.
    DuplicateLabel,
    /// A choice branch whose first statement is not a send by the decider.
    BranchNotStartingWithDecider,
    /// The branches of one choice that send their first message to different roles.
    ChoiceReceiversDiffer,
    /// `continue L` with no enclosing `rec L`.
    UnknownRecursionLabel,
    /// A recursion that reaches its `continue` without any communication.
    UnguardedRecursion,
    /// `call P` where no protocol `P` exists.
    UnknownProtocol,
    /// Protocols that call each other in a cycle.
    RecursiveCall,
    /// A `par` with a single branch.
    ParSingleBranch,
    /// A `par` whose branches share a role.
    ParOverlappingRoles,
    /// A `check` of an effect that is not declared or not in the protocol's `uses`.
    UndeclaredEffect,
    /// A `check` of an operation the effect does not declare.
    UndeclaredOperation,
    /// A `case` that does not cover every outcome.
    NonExhaustiveCase,
    /// A `case` branch naming a constructor the checked type does not have.
    UnknownConstructor,
    /// A message from a role to itself.
    SelfCommunication,
    /// A `loop while` condition or `when` guard that is not a boolean predicate.
    InvalidPredicate,
    /// A `case` over a name bound by no `let ... = check`.
    UnknownBinding,
    /// A role family whose size parameter was not supplied.
    MissingParameter,
    /// A role family index outside the family.
    IndexOutOfRange,
    /// A Scribble pragma that nuscr does not define.
    UnknownPragma,
    /// A protocol asked for by name that the module does not define.
    UnknownEntryProtocol,
    /// A protocol too large to expand (unrolling or inlining blew the budget).
    ExpansionLimit,
    /// A construct the front-end recognises but cannot lower.
    Unsupported,
    /// Two protocols with the same name in one module.
    DuplicateProtocol,
    /// Statements after `continue` in the same block (never reached).
    UnreachableAfterContinue,
    /// A file that declares no protocol at all (empty, or only comments
    /// and types).
    NoProtocol,
    /// Statements after a loop that never ends (every path repeats it).
    UnreachableAfterEndlessLoop,
    /// An `import` of a module the loader cannot find or read.
    MissingModule,
    /// Modules that import each other in a cycle.
    ImportCycle,
    /// A `case` whose choice merged with another choice of its performer,
    /// so its outcome cannot select a branch.
    UnsteerableCase,
    /// A message marked `or missed` that is a branch of a choice (a
    /// receiver cannot guess a choice).
    MissableChoice,
    /// A (sender, receiver, label) marked `or missed` in one place and
    /// not in another.
    MissableInconsistent,
    /// A protocol that lowers but is not well formed or has no projection
    /// onto some role (reported by the tools that project, such as `tell check`).
    Unprojectable,
}

impl DiagnosticKind {
    /// The stable error code printed in `error[E0xx]`.
    pub fn code(self) -> &'static str {
        match self {
            DiagnosticKind::Syntax => "E001",
            DiagnosticKind::Lexical => "E002",
            DiagnosticKind::UndeclaredRole => "E010",
            DiagnosticKind::DuplicateRole => "E011",
            DiagnosticKind::DuplicateLabel => "E012",
            DiagnosticKind::BranchNotStartingWithDecider => "E013",
            DiagnosticKind::ChoiceReceiversDiffer => "E014",
            DiagnosticKind::UnknownRecursionLabel => "E015",
            DiagnosticKind::UnguardedRecursion => "E016",
            DiagnosticKind::UnknownProtocol => "E017",
            DiagnosticKind::RecursiveCall => "E018",
            DiagnosticKind::ParSingleBranch => "E019",
            DiagnosticKind::ParOverlappingRoles => "E020",
            DiagnosticKind::UndeclaredEffect => "E021",
            DiagnosticKind::UndeclaredOperation => "E022",
            DiagnosticKind::NonExhaustiveCase => "E023",
            DiagnosticKind::UnknownBinding => "E024",
            DiagnosticKind::MissingParameter => "E025",
            DiagnosticKind::IndexOutOfRange => "E026",
            DiagnosticKind::UnknownPragma => "E027",
            DiagnosticKind::UnknownEntryProtocol => "E028",
            DiagnosticKind::ExpansionLimit => "E029",
            DiagnosticKind::Unsupported => "E030",
            DiagnosticKind::UnknownConstructor => "E031",
            DiagnosticKind::SelfCommunication => "E032",
            DiagnosticKind::InvalidPredicate => "E033",
            DiagnosticKind::Unprojectable => "E034",
            DiagnosticKind::DuplicateProtocol => "E035",
            DiagnosticKind::UnreachableAfterContinue => "E036",
            DiagnosticKind::NoProtocol => "E037",
            DiagnosticKind::UnreachableAfterEndlessLoop => "E040",
            DiagnosticKind::MissingModule => "E041",
            DiagnosticKind::ImportCycle => "E042",
            DiagnosticKind::UnsteerableCase => "E043",
            DiagnosticKind::MissableChoice => "E044",
            DiagnosticKind::MissableInconsistent => "E045",
        }
    }
}

/// One problem found in a source file, with everything needed to explain it.
///
/// It is also a `std::error::Error` whose `Display` is the one-line headline,
/// so callers can wrap it in their own error types.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("error[{code}]: {message}", code = .kind.code())]
pub struct Diagnostic {
    /// What kind of problem this is.
    pub kind: DiagnosticKind,
    /// The one-line headline.
    pub message: String,
    /// The primary location.
    pub span: Span,
    /// A short label printed under the primary location.
    pub label: String,
    /// Other related locations with their labels.
    pub secondary: Vec<(Span, String)>,
    /// For syntax errors: the tokens that would have been accepted.
    pub expected: Vec<String>,
    /// A concrete suggestion.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A diagnostic with a message, a primary span and its label.
    pub fn new(
        kind: DiagnosticKind,
        message: impl Into<String>,
        span: Span,
        label: impl Into<String>,
    ) -> Self {
        Diagnostic {
            kind,
            message: message.into(),
            span,
            label: label.into(),
            secondary: Vec::new(),
            expected: Vec::new(),
            help: None,
        }
    }

    /// Adds a secondary location.
    pub fn with_secondary(mut self, span: Span, label: impl Into<String>) -> Self {
        self.secondary.push((span, label.into()));
        self
    }

    /// Adds a suggestion.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Records what the parser would have accepted.
    pub fn with_expected(mut self, expected: Vec<String>) -> Self {
        self.expected = expected;
        self
    }
}

/// A non-empty list of diagnostics as one error value, for callers that
/// want a single `std::error::Error` (its `Display` is the first headline).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}", summary(.0))]
pub struct Diagnostics(pub Vec<Diagnostic>);

/// The first headline, and how many more problems follow it.
fn summary(diagnostics: &[Diagnostic]) -> String {
    match diagnostics {
        [] => "no problems".to_string(),
        [one] => one.to_string(),
        [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diagnostics_summarise_as_errors() {
        let d = Diagnostic::new(DiagnosticKind::Syntax, "bad", Span::new(0, 1), "");
        assert_eq!(d.to_string(), "error[E001]: bad");
        let two = Diagnostics(vec![d.clone(), d]);
        assert_eq!(two.to_string(), "error[E001]: bad (and 1 more)");
    }
}
