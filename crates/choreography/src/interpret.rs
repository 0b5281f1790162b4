//! `interpret`: runs a [`Program`] over a [`ChoreoHandler`], checking every
//! message against it.

use crate::decider::{label_list, Decider};
use crate::error::{ChoreoError, ChoreoResult};
use crate::handler::ChoreoHandler;
use crate::message::Message;
use crate::program::{Program, ProgramBranch};
use std::time::Duration;
use telltale_types::{Label, Role};
use tokio::time::Instant;

/// Limits for one run of the interpreter.
#[derive(Clone, Copy, Debug, Default)]
pub struct InterpretConfig {
    /// Stop with [`ChoreoError::StepLimit`] after this many communications
    /// (`None`: no limit).
    pub max_steps: Option<u64>,
}

/// What a finished run did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunSummary {
    /// The number of communications (sends, receives, choices, offers).
    pub steps: u64,
}

/// Runs `program` for the handler's role with no step limit.
pub async fn interpret<H: ChoreoHandler, D: Decider>(
    handler: &mut H,
    endpoint: &mut H::Endpoint,
    program: &Program,
    decider: &mut D,
) -> ChoreoResult<RunSummary> {
    interpret_with(
        handler,
        endpoint,
        program,
        decider,
        InterpretConfig::default(),
    )
    .await
}

/// What encloses the operation being run.
enum Frame<'p> {
    /// Inside the body of a loop; `steps_at_entry` detects silent loops.
    Loop {
        name: &'p str,
        body: &'p Program,
        steps_at_entry: u64,
    },
    /// Inside a parallel branch, with the branches still to run.
    Parallel {
        remaining: &'p [Program],
        then: &'p Program,
    },
    /// Inside a timed section.
    Timeout {
        deadline: Instant,
        after: Duration,
        then: &'p Program,
    },
}

/// One handler operation, owned so it can move into a timed body.
enum Operation {
    Send(Role, Message),
    Choose(Role, Message),
    Recv(Role),
    Offer(Role),
}

impl Operation {
    async fn run<H: ChoreoHandler>(
        self,
        handler: &mut H,
        endpoint: &mut H::Endpoint,
    ) -> ChoreoResult<Option<Message>> {
        match self {
            Operation::Send(to, m) => handler.send(endpoint, &to, m).await.map(|()| None),
            Operation::Choose(to, m) => handler.choose(endpoint, &to, m).await.map(|()| None),
            Operation::Recv(from) => handler.recv(endpoint, &from).await.map(Some),
            Operation::Offer(from) => handler.offer(endpoint, &from).await.map(Some),
        }
    }
}

/// The interpreter's state for one run.
struct Run<'p, 'h, H: ChoreoHandler, D> {
    handler: &'h mut H,
    endpoint: &'h mut H::Endpoint,
    decider: &'h mut D,
    config: InterpretConfig,
    role: Role,
    frames: Vec<Frame<'p>>,
    steps: u64,
}

/// Runs `program` for the handler's role.
///
/// The program is walked iteratively, so arbitrarily deep programs run in
/// constant stack. Every received message must carry the label the program
/// expects (one of the branch labels at an offer) with a payload of the
/// label's sort, otherwise the run stops with
/// [`ChoreoError::ProtocolViolation`]; decisions are checked the same way
/// before anything is sent. Operations inside [`Program::Timeout`] sections
/// go through [`ChoreoHandler::with_timeout`] with the time left.
pub async fn interpret_with<H: ChoreoHandler, D: Decider>(
    handler: &mut H,
    endpoint: &mut H::Endpoint,
    program: &Program,
    decider: &mut D,
    config: InterpretConfig,
) -> ChoreoResult<RunSummary> {
    let role = handler.role().clone();
    let mut run = Run {
        handler,
        endpoint,
        decider,
        config,
        role,
        frames: Vec::new(),
        steps: 0,
    };
    run.execute(program).await
}

impl<'p, H: ChoreoHandler, D: Decider> Run<'p, '_, H, D> {
    async fn execute(&mut self, program: &'p Program) -> ChoreoResult<RunSummary> {
        let mut cursor = program;
        loop {
            cursor = match cursor {
                Program::Send { to, label, then } => {
                    let message = self.decide_payload(to, label)?;
                    self.operate(Operation::Send(to.clone(), message)).await?;
                    then
                }
                Program::Recv { from, label, then } => {
                    let message = self.receive(Operation::Recv(from.clone())).await?;
                    self.check_received(from, label, &message, || label.to_string())?;
                    then
                }
                Program::Choose { to, branches } => {
                    let index = self.decider.choose(&self.role, to, branches)?;
                    let branch = branches.get(index).ok_or_else(|| ChoreoError::Decision {
                        role: self.role.clone(),
                        reason: format!(
                            "branch index {index} out of range for {} towards {to}",
                            label_list(branches)
                        ),
                    })?;
                    let message = self.decide_payload(to, &branch.label)?;
                    self.operate(Operation::Choose(to.clone(), message)).await?;
                    &branch.then
                }
                Program::Offer { from, branches } => {
                    let message = self.receive(Operation::Offer(from.clone())).await?;
                    let branch = self.select_branch(from, branches, &message)?;
                    &branch.then
                }
                Program::Loop { name, body } => {
                    self.frames.push(Frame::Loop {
                        name,
                        body,
                        steps_at_entry: self.steps,
                    });
                    body
                }
                Program::Continue(name) => self.continue_loop(name)?,
                Program::Parallel { branches, then } => match branches.split_first() {
                    Some((first, remaining)) => {
                        self.frames.push(Frame::Parallel { remaining, then });
                        first
                    }
                    None => then,
                },
                Program::Timeout { after, body, then } => {
                    self.frames.push(Frame::Timeout {
                        deadline: Instant::now() + *after,
                        after: *after,
                        then,
                    });
                    body
                }
                Program::End => match self.end_sequence() {
                    Some(next) => next,
                    None => return Ok(RunSummary { steps: self.steps }),
                },
            };
        }
    }

    /// Leaves the innermost sequence; `None` when the whole program is done.
    fn end_sequence(&mut self) -> Option<&'p Program> {
        loop {
            match self.frames.pop()? {
                Frame::Loop { .. } => continue,
                Frame::Parallel { remaining, then } => {
                    return Some(match remaining.split_first() {
                        Some((next, rest)) => {
                            self.frames.push(Frame::Parallel {
                                remaining: rest,
                                then,
                            });
                            next
                        }
                        None => then,
                    })
                }
                Frame::Timeout { then, .. } => return Some(then),
            }
        }
    }

    /// Jumps back to the loop `name`, leaving any timed sections inside it.
    fn continue_loop(&mut self, name: &str) -> ChoreoResult<&'p Program> {
        loop {
            match self.frames.pop() {
                None => {
                    return Err(ChoreoError::InvalidProgram {
                        reason: format!("`continue {name}` outside a loop of that name"),
                    })
                }
                Some(Frame::Parallel { .. }) => {
                    return Err(ChoreoError::InvalidProgram {
                        reason: format!("`continue {name}` jumps out of a parallel branch"),
                    })
                }
                Some(Frame::Timeout { .. }) => continue,
                Some(Frame::Loop {
                    name: loop_name,
                    body,
                    steps_at_entry,
                }) => {
                    if loop_name != name {
                        continue;
                    }
                    if steps_at_entry == self.steps {
                        return Err(ChoreoError::InvalidProgram {
                            reason: format!("loop `{name}` repeats without communicating"),
                        });
                    }
                    self.frames.push(Frame::Loop {
                        name: loop_name,
                        body,
                        steps_at_entry: self.steps,
                    });
                    return Ok(body);
                }
            }
        }
    }

    fn decide_payload(&mut self, to: &Role, label: &Label) -> ChoreoResult<Message> {
        let value = self.decider.payload(&self.role, to, label)?;
        if !value.conforms_to(&label.sort) {
            return Err(ChoreoError::Decision {
                role: self.role.clone(),
                reason: format!(
                    "payload {value} ({}) does not fit label {label} towards {to}",
                    value.kind()
                ),
            });
        }
        Ok(Message::new(label.name.clone(), value))
    }

    async fn receive(&mut self, operation: Operation) -> ChoreoResult<Message> {
        match self.operate(operation).await? {
            Some(message) => Ok(message),
            None => unreachable!("receive operations always yield a message"),
        }
    }

    fn check_received(
        &mut self,
        from: &Role,
        label: &Label,
        message: &Message,
        expected: impl FnOnce() -> String,
    ) -> ChoreoResult<()> {
        if message.label() != label.name() || !message.value.conforms_to(&label.sort) {
            return Err(ChoreoError::ProtocolViolation {
                role: self.role.clone(),
                peer: from.clone(),
                expected: expected(),
                got: format!(
                    "{} carrying a {} value",
                    message.label(),
                    message.value.kind()
                ),
            });
        }
        self.decider.received(&self.role, from, message);
        Ok(())
    }

    fn select_branch<'b>(
        &mut self,
        from: &Role,
        branches: &'b [ProgramBranch],
        message: &Message,
    ) -> ChoreoResult<&'b ProgramBranch> {
        let expected = || format!("one of {}", label_list(branches));
        match branches.iter().find(|b| b.label.name() == message.label()) {
            Some(branch) => {
                self.check_received(from, &branch.label, message, || branch.label.to_string())?;
                Ok(branch)
            }
            None => Err(ChoreoError::ProtocolViolation {
                role: self.role.clone(),
                peer: from.clone(),
                expected: expected(),
                got: format!(
                    "{} carrying a {} value",
                    message.label(),
                    message.value.kind()
                ),
            }),
        }
    }

    /// Runs one handler operation, under the innermost deadline if any.
    async fn operate(&mut self, operation: Operation) -> ChoreoResult<Option<Message>> {
        self.steps += 1;
        if let Some(limit) = self.config.max_steps {
            if self.steps > limit {
                return Err(ChoreoError::StepLimit {
                    role: self.role.clone(),
                    limit,
                });
            }
        }
        let Some((deadline, after)) = self.deadline() else {
            return operation.run(self.handler, self.endpoint).await;
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        let timeout = || ChoreoError::Timeout {
            role: self.role.clone(),
            after,
        };
        if remaining.is_zero() {
            return Err(timeout());
        }
        let result = self
            .handler
            .with_timeout(self.endpoint, remaining, move |handler, endpoint| {
                Box::pin(operation.run(handler, endpoint))
            })
            .await;
        match result {
            Err(ChoreoError::Timeout { .. }) => Err(timeout()),
            other => other,
        }
    }

    /// The earliest deadline of the enclosing timed sections, with its limit.
    fn deadline(&self) -> Option<(Instant, Duration)> {
        self.frames
            .iter()
            .filter_map(|frame| match frame {
                Frame::Timeout {
                    deadline, after, ..
                } => Some((*deadline, *after)),
                _ => None,
            })
            .min_by_key(|(deadline, _)| *deadline)
    }
}
