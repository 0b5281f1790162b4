//! A stateful explorable host for two-phase commit
//! (`examples/two_phase_commit.tell`): each participant chooses its vote
//! (the host's open alternatives), the coordinator decides from the votes
//! it received, and every role observes `decision`. The buggy rule commits
//! on a majority of yes votes: a seeded atomicity bug.

use std::cell::{Cell, RefCell};
use telltale_compiler::{Instr, LabelId, RoleId};
use telltale_explorer::{ExplorableHost, Observations};
use telltale_vm::effect::default_handler::fabricate;
use telltale_vm::explore::EnabledStep;
use telltale_vm::{
    EffectHandler, ProtocolMachine, ProtocolMachineError, RecvInput, SendDecision,
    SendDecisionInput, Value,
};

/// How the coordinator decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// Commit only when every participant voted yes (correct 2PC).
    AllYes,
    /// Commit on a majority of yes votes (the seeded bug).
    Majority,
}

/// The host's state: who voted what, and the votes the coordinator holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TwoPhaseHost {
    rule: Rule,
    coordinator: RoleId,
    participants: u16,
    /// Each role's own vote, once chosen (by role id).
    voted: Vec<Option<bool>>,
    /// Yes votes the coordinator received.
    yes: u16,
}

impl TwoPhaseHost {
    /// A host for `machine`'s roles: `Coordinator` and every other role a
    /// participant.
    pub fn new(machine: &ProtocolMachine, rule: Rule) -> Self {
        let symbols = machine.symbols();
        let roles = machine.image().roles.len();
        let coordinator = (0..roles as RoleId)
            .find(|&r| symbols.role_name(r) == "Coordinator")
            .expect("a Coordinator role");
        TwoPhaseHost {
            rule,
            coordinator,
            participants: roles as u16 - 1,
            voted: vec![None; roles],
            yes: 0,
        }
    }

    /// Whether `step` is a participant's vote (its first send to the
    /// coordinator).
    fn is_vote(&self, step: &EnabledStep) -> bool {
        step.role != self.coordinator
            && matches!(step.instr, Instr::Send { chan, .. } if chan == self.coordinator)
            && self.voted.get(usize::from(step.role)) == Some(&None)
    }

    fn commits(&self) -> bool {
        match self.rule {
            Rule::AllYes => self.yes == self.participants,
            Rule::Majority => 2 * self.yes > self.participants,
        }
    }
}

/// The handler of one step: answers as the host decided and remembers what
/// it sent and received.
struct Step<'h> {
    host: &'h TwoPhaseHost,
    vote: Option<bool>,
    sent: Cell<Option<LabelId>>,
    received: RefCell<Option<(String, Value)>>,
}

impl EffectHandler for Step<'_> {
    fn handler_identity(&self) -> &str {
        "telltale.explorer.tests.two-phase"
    }

    fn polls_topology(&self) -> bool {
        false
    }

    fn gives_output_hints(&self) -> bool {
        false
    }

    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        let wanted = if input.choices.len() > 1 {
            Some(if self.host.commits() {
                "Commit"
            } else {
                "Abort"
            })
        } else {
            None
        };
        let label = input
            .choices
            .iter()
            .copied()
            .find(|&l| wanted.map_or(true, |w| input.label_name(l) == w))
            .ok_or_else(|| "two-phase host: no label to send".to_string())?;
        self.sent.set(Some(label));
        let payload = match (self.vote, input.payload) {
            (Some(vote), _) => Value::Bool(vote),
            (None, Some(p)) => p.clone(),
            (None, None) => input
                .symbols
                .label(label)
                .map(|l| fabricate(&l.sort, 0))
                .unwrap_or(Value::Unit),
        };
        Ok(SendDecision::Deliver { label, payload })
    }

    fn handle_recv(&self, input: &RecvInput<'_>) -> Result<(), String> {
        *self.received.borrow_mut() = Some((
            input.label_name(input.label).to_string(),
            input.payload.clone(),
        ));
        Ok(())
    }
}

impl ExplorableHost for TwoPhaseHost {
    fn alternatives(&self, step: &EnabledStep) -> usize {
        if self.is_vote(step) {
            2
        } else {
            1
        }
    }

    fn execute(
        &mut self,
        machine: &mut ProtocolMachine,
        step: &EnabledStep,
        alternative: usize,
        observations: &mut Observations,
    ) -> Result<(), ProtocolMachineError> {
        let vote = self.is_vote(step).then_some(alternative == 0);
        let handler = Step {
            host: self,
            vote,
            sent: Cell::new(None),
            received: RefCell::new(None),
        };
        let result = machine.execute_step(step.slot, &handler);
        let sent = handler.sent.get();
        let received = handler.received.into_inner();
        let role = step.role;
        if let Some(vote) = vote.filter(|_| sent.is_some()) {
            self.voted[usize::from(role)] = Some(vote);
            if !vote {
                // A No voter aborts unilaterally, as in real 2PC.
                observations.observe(role, "decision", "abort");
            }
        }
        if let Some(label) = sent.filter(|_| matches!(step.instr, Instr::Offer { .. })) {
            let name = machine.symbols().label(label).map_or("?", |l| l.name());
            observations.observe(role, "decision", &name.to_lowercase());
        }
        match received {
            Some((label, Value::Bool(yes))) if label == "Vote" && role == self.coordinator => {
                self.yes += u16::from(yes);
            }
            Some((label, _))
                if (label == "Commit" || label == "Abort")
                    && self.voted.get(usize::from(role)) == Some(&Some(true)) =>
            {
                observations.observe(role, "decision", &label.to_lowercase());
            }
            _ => {}
        }
        result
    }

    fn encode(&self, out: &mut Vec<u8>) {
        for vote in &self.voted {
            out.push(match vote {
                None => 0,
                Some(false) => 1,
                Some(true) => 2,
            });
        }
        out.extend_from_slice(&self.yes.to_le_bytes());
    }

    fn is_stateless(&self) -> bool {
        false
    }
}
