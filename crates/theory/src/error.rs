//! Where in a type an error was found.
//!
//! Errors of well-formedness, merging and projection carry a [`TypePath`]:
//! the sequence of branches and recursion binders walked from the root of
//! the type to the faulty node, printed as a readable sentence such as
//! `branch "x" of A -> B, then rec t`.

use std::fmt;
use std::sync::Arc;
use telltale_types::{Direction, Role};

/// One step from a node of a type to one of its children.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PathStep {
    /// Into the branch `label` of the global communication `sender -> receiver`.
    GlobalBranch {
        /// The sender of the communication.
        sender: Role,
        /// The receiver of the communication.
        receiver: Role,
        /// The label of the branch taken.
        label: Arc<str>,
    },
    /// Into the branch `label` of a local send or receive with `partner`.
    LocalBranch {
        /// Whether the communication sends or receives.
        direction: Direction,
        /// The role communicated with.
        partner: Role,
        /// The label of the branch taken.
        label: Arc<str>,
    },
    /// Into the body of `rec var`.
    Rec {
        /// The recursion variable bound there.
        var: String,
    },
}

impl fmt::Display for PathStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PathStep::GlobalBranch {
                sender,
                receiver,
                label,
            } => write!(f, "branch \"{label}\" of {sender} -> {receiver}"),
            PathStep::LocalBranch {
                direction,
                partner,
                label,
            } => write!(f, "branch \"{label}\" of {partner}{}", direction.symbol()),
            PathStep::Rec { var } => write!(f, "rec {var}"),
        }
    }
}

/// The steps from the root of a type to one of its nodes, outermost first.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TypePath {
    steps: Vec<PathStep>,
}

impl TypePath {
    /// The path of the root itself.
    pub fn root() -> Self {
        TypePath::default()
    }

    /// A path from its steps, outermost first.
    pub fn from_steps(steps: Vec<PathStep>) -> Self {
        TypePath { steps }
    }

    /// The steps, outermost first.
    pub fn steps(&self) -> &[PathStep] {
        &self.steps
    }

    /// Whether this is the root.
    pub fn is_root(&self) -> bool {
        self.steps.is_empty()
    }

    /// Adds a step while an error unwinds; steps so added are innermost
    /// first until [`TypePath::finish_unwinding`] puts them in order.
    pub(crate) fn push_while_unwinding(&mut self, step: PathStep) {
        self.steps.push(step);
    }

    /// Puts the steps added while unwinding in outermost-first order.
    pub(crate) fn finish_unwinding(&mut self) {
        self.steps.reverse();
    }
}

/// `at the top of the type`, or `at branch "x" of A -> B, then rec t`.
impl fmt::Display for TypePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.steps.is_empty() {
            return f.write_str("at the top of the type");
        }
        f.write_str("at ")?;
        for (i, step) in self.steps.iter().enumerate() {
            if i > 0 {
                f.write_str(", then ")?;
            }
            write!(f, "{step}")?;
        }
        Ok(())
    }
}

/// The readable notation of a type, cut to a length fit for an error message.
pub(crate) fn abbreviate(text: &impl fmt::Display) -> String {
    const LIMIT: usize = 160;
    let full = text.to_string();
    match full.char_indices().nth(LIMIT) {
        Some((cut, _)) => format!("{} …", &full[..cut]),
        None => full,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_as_sentences() {
        assert_eq!(TypePath::root().to_string(), "at the top of the type");
        let path = TypePath::from_steps(vec![
            PathStep::GlobalBranch {
                sender: Role::new("A"),
                receiver: Role::new("B"),
                label: Arc::from("x"),
            },
            PathStep::Rec { var: "t".into() },
            PathStep::LocalBranch {
                direction: Direction::Recv,
                partner: Role::new("C"),
                label: Arc::from("y"),
            },
        ]);
        assert_eq!(
            path.to_string(),
            "at branch \"x\" of A -> B, then rec t, then branch \"y\" of C?"
        );
        assert!(!path.is_root());
        assert_eq!(path.steps().len(), 3);
    }

    #[test]
    fn long_types_are_abbreviated() {
        let long = "x".repeat(500);
        let short = abbreviate(&long);
        assert!(short.len() < 200);
        assert!(short.ends_with('…'));
        assert_eq!(abbreviate(&"end"), "end");
    }
}
