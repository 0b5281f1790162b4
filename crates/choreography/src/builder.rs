//! `ProgramBuilder`: writes programs top to bottom instead of inside out.

use crate::program::{Program, ProgramBranch};
use std::time::Duration;
use telltale_types::{Label, Role};

/// A sequential step waiting for its continuation.
enum Step {
    Send(Role, Label),
    Recv(Role, Label),
    Parallel(Vec<Program>),
    Timeout(Duration, Program),
}

/// Builds a [`Program`] step by step; a terminal call (`end`, `choose`,
/// `offer`, `loop_named`, `continue_loop`) returns the finished program.
///
/// ```
/// use telltale_choreography::{Program, ProgramBranch};
/// use telltale_types::Label;
///
/// let client = Program::builder().loop_named(
///     "t",
///     Program::builder().choose("Server", [
///         ProgramBranch::new(Label::unit("more"), Program::builder().continue_loop("t")),
///         ProgramBranch::new(Label::unit("stop"), Program::End),
///     ]),
/// );
/// assert_eq!(client.to_string(), "loop t { Server!{ more(unit) . continue t, stop(unit) . end } }");
/// ```
#[derive(Default)]
pub struct ProgramBuilder {
    steps: Vec<Step>,
}

impl ProgramBuilder {
    /// Sends a message with `label` to `to`.
    pub fn send(mut self, to: impl Into<Role>, label: Label) -> Self {
        self.steps.push(Step::Send(to.into(), label));
        self
    }

    /// Receives a message with `label` from `from`.
    pub fn recv(mut self, from: impl Into<Role>, label: Label) -> Self {
        self.steps.push(Step::Recv(from.into(), label));
        self
    }

    /// Runs independent sub-programs, then continues.
    pub fn parallel(mut self, branches: impl IntoIterator<Item = Program>) -> Self {
        self.steps
            .push(Step::Parallel(branches.into_iter().collect()));
        self
    }

    /// Runs `body` within `after`, then continues.
    pub fn timeout(mut self, after: Duration, body: Program) -> Self {
        self.steps.push(Step::Timeout(after, body));
        self
    }

    /// Ends the program.
    pub fn end(self) -> Program {
        self.finish(Program::End)
    }

    /// Ends with an internal choice towards `to`.
    pub fn choose(
        self,
        to: impl Into<Role>,
        branches: impl IntoIterator<Item = ProgramBranch>,
    ) -> Program {
        self.finish(Program::Choose {
            to: to.into(),
            branches: branches.into_iter().collect(),
        })
    }

    /// Ends with an external choice made by `from`.
    pub fn offer(
        self,
        from: impl Into<Role>,
        branches: impl IntoIterator<Item = ProgramBranch>,
    ) -> Program {
        self.finish(Program::Offer {
            from: from.into(),
            branches: branches.into_iter().collect(),
        })
    }

    /// Ends with a loop named `name` around `body`.
    pub fn loop_named(self, name: impl Into<String>, body: Program) -> Program {
        self.finish(Program::Loop {
            name: name.into(),
            body: Box::new(body),
        })
    }

    /// Ends with a jump back to the loop named `name`.
    pub fn continue_loop(self, name: impl Into<String>) -> Program {
        self.finish(Program::Continue(name.into()))
    }

    /// Wraps `last` in the recorded steps, innermost last.
    fn finish(self, last: Program) -> Program {
        self.steps
            .into_iter()
            .rev()
            .fold(last, |then, step| match step {
                Step::Send(to, label) => Program::Send {
                    to,
                    label,
                    then: Box::new(then),
                },
                Step::Recv(from, label) => Program::Recv {
                    from,
                    label,
                    then: Box::new(then),
                },
                Step::Parallel(branches) => Program::Parallel {
                    branches,
                    then: Box::new(then),
                },
                Step::Timeout(after, body) => Program::Timeout {
                    after,
                    body: Box::new(body),
                    then: Box::new(then),
                },
            })
    }
}
