//! Reachability: which statements control can leave, so that statements
//! after a loop that never ends are reported instead of silently dropped.

use super::Lowerer;
use crate::ast::{LoopKind, Stmt, StmtKind};
use crate::diagnostic::{Diagnostic, DiagnosticKind};
use telltale_types::stack::with_headroom;

impl Lowerer<'_> {
    /// Reports the statements of a block that control never reaches: after
    /// a `continue` (E036), or after a statement that never finishes, such
    /// as a `rec` whose every branch continues (E040). Lowering would drop
    /// them without a trace.
    pub(crate) fn check_reachable(&mut self, stmts: &[Stmt]) {
        let Some(at) = stmts.iter().position(|s| !finishes(s)) else {
            return;
        };
        let (Some(stuck), Some(next)) = (stmts.get(at), stmts.get(at + 1)) else {
            return;
        };
        let diagnostic = match &stuck.kind {
            StmtKind::Continue(label) => Diagnostic::new(
                DiagnosticKind::UnreachableAfterContinue,
                format!(
                    "statements after `continue {}` are never reached",
                    label.text
                ),
                next.span,
                "never reached",
            )
            .with_help(format!(
                "`continue {}` jumps back to its `rec`; move these statements before it, or remove them",
                label.text
            )),
            StmtKind::Rec { .. } | StmtKind::Loop { .. } | StmtKind::Heartbeat { .. } => {
                Diagnostic::new(
                    DiagnosticKind::UnreachableAfterEndlessLoop,
                    "statements after a loop that never ends are never reached",
                    next.span,
                    "never reached",
                )
                .with_secondary(stuck.span, "this loop has no exit: every path repeats it")
                .with_help(
                    "add an exit branch to the loop (a choice branch that does not `continue`), \
                     or move these statements into the loop",
                )
            }
            _ => Diagnostic::new(
                DiagnosticKind::UnreachableAfterEndlessLoop,
                "statements after a choice whose every branch loops are never reached",
                next.span,
                "never reached",
            )
            .with_secondary(stuck.span, "every branch of this ends in `continue`")
            .with_help(
                "add a branch that does not `continue`, or move these statements into a branch",
            ),
        };
        self.diags.push(diagnostic);
    }

    /// Reports the statement after a Scribble `do` that re-entered an
    /// instance being expanded: the `do` loops back, so control never
    /// reaches what follows it (E040).
    pub(crate) fn unreachable_after_reentry(&mut self, call: &Stmt, protocol: &str, next: &Stmt) {
        self.diags.push(
            Diagnostic::new(
                DiagnosticKind::UnreachableAfterEndlessLoop,
                "statements after a `do` that repeats its protocol are never reached",
                next.span,
                "never reached",
            )
            .with_secondary(
                call.span,
                format!("this `do` re-enters `{protocol}`, which loops back to its start"),
            )
            .with_help(
                "a `do` of a protocol already being expanded is a loop; make it the last \
                 statement of its block, or move these statements before it",
            ),
        );
    }
}

/// Whether control can leave `stmt` to the statement after it.
fn finishes(stmt: &Stmt) -> bool {
    with_headroom(|| match &stmt.kind {
        StmtKind::Continue(_) => false,
        // A `rec` body that reaches its end goes on after the `rec`.
        StmtKind::Rec { body, .. } => block_finishes(body),
        StmtKind::Loop { kind, body } => match kind {
            LoopKind::Forever => false,
            LoopKind::Repeat(_) => block_finishes(body),
            LoopKind::DecideBy(_) | LoopKind::While(_) => true,
        },
        StmtKind::Choice { branches, .. } => branches.iter().any(|b| block_finishes(&b.body)),
        StmtKind::Case { branches, .. } => branches.iter().any(|b| block_finishes(&b.body)),
        StmtKind::Timeout {
            body, on_timeout, ..
        } => block_finishes(body) || block_finishes(on_timeout),
        // The alive path repeats; only the missing path goes on.
        StmtKind::Heartbeat { on_missing, .. } => block_finishes(on_missing),
        // `par` runs its branches one after the other.
        StmtKind::Par(branches) => branches.iter().all(|(b, _)| block_finishes(b)),
        StmtKind::Roles(_)
        | StmtKind::Send { .. }
        | StmtKind::Call { .. }
        | StmtKind::Let { .. } => true,
    })
}

/// Whether control can reach the end of a block.
fn block_finishes(stmts: &[Stmt]) -> bool {
    stmts.iter().all(finishes)
}
