//! The instruction set of the protocol machine, defined once.
//!
//! Every other view of an instruction (its mnemonic, its disassembly, the
//! register and jump-target checks of image validation) derives from this
//! enum. Instructions are small `Copy` values: variable-size operands (jump
//! tables, constants, open specifications) live in side tables of the
//! [`crate::Program`] and are referenced by index.

use serde::{Deserialize, Serialize};

/// Index of a register in a coroutine's register file.
pub type Reg = u16;
/// Index of an instruction in a program.
pub type Pc = u32;
/// Interned role symbol of a code image.
pub type RoleId = u16;
/// Interned label symbol of a code image.
pub type LabelId = u16;
/// Index of a jump table in a program.
pub type TableId = u16;
/// Index of a constant in a program's constant pool.
pub type ConstId = u16;

/// One bytecode instruction.
///
/// Communication operands name the partner role (`chan`) by its interned
/// id; the session is the executing coroutine's own session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Instr {
    /// Sends the single label the local type allows to `chan`; the payload
    /// is the register `val` when given, otherwise the handler computes it.
    Send {
        /// The receiving role.
        chan: RoleId,
        /// Optional register holding a precomputed payload.
        val: Option<Reg>,
    },
    /// Receives the single expected message from `chan` into `dst`.
    Receive {
        /// The sending role.
        chan: RoleId,
        /// Register receiving the payload.
        dst: Reg,
    },
    /// Internal choice: the handler picks one label of `table`, the machine
    /// sends it to `chan` and jumps to the label's block.
    Offer {
        /// The receiving role.
        chan: RoleId,
        /// Jump table listing the labels that may be picked.
        table: TableId,
    },
    /// External choice: receives a message from `chan`, stores its payload
    /// in the table's destination register and jumps by its label.
    Choose {
        /// The sending role.
        chan: RoleId,
        /// Jump table keyed by label.
        table: TableId,
    },
    /// Opens a new session described by an open specification.
    Open {
        /// Index into the program's open specifications.
        spec: u16,
    },
    /// Closes the session of the endpoint held in register `session`.
    Close {
        /// Register holding an endpoint of the session to close.
        session: Reg,
    },
    /// Runs a host integration step through the effect handler.
    Invoke {
        /// Host-defined action number.
        action: u16,
        /// Register receiving the step's result.
        dst: Reg,
    },
    /// Asks the host for guard layer `layer`; a grant writes its evidence
    /// into `dst`, a refusal blocks the coroutine until a later retry.
    Acquire {
        /// Guard layer number.
        layer: u16,
        /// Register receiving the evidence.
        dst: Reg,
    },
    /// Releases guard layer `layer`; register `evidence` must hold exactly
    /// the evidence of the grant.
    Release {
        /// Guard layer number.
        layer: u16,
        /// Register holding the evidence.
        evidence: Reg,
    },
    /// Opens a speculation scope tagged `ghost`, checkpointing the
    /// coroutine's registers, monitor state and knowledge.
    Fork {
        /// Ghost session number.
        ghost: u16,
    },
    /// Closes the innermost speculation scope: commits it if the host's
    /// reconciliation accepts, otherwise rolls it back like `Abort`.
    Join,
    /// Rolls the innermost speculation scope back to its checkpoint.
    Abort,
    /// Delegates the endpoint in `endpoint`, with its remaining local type,
    /// to the coroutine whose id is in `target`, copying `bundle` along.
    Transfer {
        /// Register holding the endpoint.
        endpoint: Reg,
        /// Register holding the target.
        target: Reg,
        /// Register holding the bundle.
        bundle: Reg,
    },
    /// Adds the fact in `fact` to the coroutine's knowledge; its tag (index)
    /// goes to `dst`.
    Tag {
        /// Register holding the fact.
        fact: Reg,
        /// Register receiving the tag.
        dst: Reg,
    },
    /// Writes whether the fact in `knowledge` is known into `dst`, if the
    /// flow policy permits revealing it to the role in `target`.
    Check {
        /// Register holding the knowledge.
        knowledge: Reg,
        /// Register holding the target.
        target: Reg,
        /// Register receiving the verdict.
        dst: Reg,
    },
    /// Loads constant `val` into `dst`.
    Set {
        /// Destination register.
        dst: Reg,
        /// Index into the constant pool.
        val: ConstId,
    },
    /// Copies register `src` into `dst`.
    Move {
        /// Destination register.
        dst: Reg,
        /// Source register.
        src: Reg,
    },
    /// Continues at `target`.
    Jump {
        /// The next instruction.
        target: Pc,
    },
    /// Spawns a coroutine of the same session and role at `target`, with
    /// the endpoint register and the register `args` copied.
    Spawn {
        /// Entry point of the new coroutine.
        target: Pc,
        /// Register holding the arguments.
        args: Reg,
    },
    /// Gives the scheduler a chance to run another coroutine.
    Yield,
    /// Ends the coroutine; its local type must be at `end`.
    Halt,
}

impl Instr {
    /// The instruction's assembly mnemonic.
    pub fn mnemonic(&self) -> &'static str {
        match self {
            Instr::Send { .. } => "send",
            Instr::Receive { .. } => "receive",
            Instr::Offer { .. } => "offer",
            Instr::Choose { .. } => "choose",
            Instr::Open { .. } => "open",
            Instr::Close { .. } => "close",
            Instr::Invoke { .. } => "invoke",
            Instr::Acquire { .. } => "acquire",
            Instr::Release { .. } => "release",
            Instr::Fork { .. } => "fork",
            Instr::Join => "join",
            Instr::Abort => "abort",
            Instr::Transfer { .. } => "transfer",
            Instr::Tag { .. } => "tag",
            Instr::Check { .. } => "check",
            Instr::Set { .. } => "set",
            Instr::Move { .. } => "move",
            Instr::Jump { .. } => "jump",
            Instr::Spawn { .. } => "spawn",
            Instr::Yield => "yield",
            Instr::Halt => "halt",
        }
    }

    /// Every register the instruction reads or writes, for bounds checks.
    pub fn registers(&self) -> impl Iterator<Item = Reg> {
        let regs: [Option<Reg>; 3] = match *self {
            Instr::Send { val, .. } => [val, None, None],
            Instr::Receive { dst, .. }
            | Instr::Invoke { dst, .. }
            | Instr::Acquire { dst, .. }
            | Instr::Set { dst, .. } => [Some(dst), None, None],
            Instr::Close { session } => [Some(session), None, None],
            Instr::Release { evidence, .. } => [Some(evidence), None, None],
            Instr::Transfer {
                endpoint,
                target,
                bundle,
            } => [Some(endpoint), Some(target), Some(bundle)],
            Instr::Tag { fact, dst } => [Some(fact), Some(dst), None],
            Instr::Check {
                knowledge,
                target,
                dst,
            } => [Some(knowledge), Some(target), Some(dst)],
            Instr::Move { dst, src } => [Some(dst), Some(src), None],
            Instr::Spawn { args, .. } => [Some(args), None, None],
            Instr::Offer { .. }
            | Instr::Choose { .. }
            | Instr::Open { .. }
            | Instr::Fork { .. }
            | Instr::Join
            | Instr::Abort
            | Instr::Jump { .. }
            | Instr::Yield
            | Instr::Halt => [None, None, None],
        };
        regs.into_iter().flatten()
    }

    /// The role operand of a communication instruction.
    pub fn channel(&self) -> Option<RoleId> {
        match *self {
            Instr::Send { chan, .. }
            | Instr::Receive { chan, .. }
            | Instr::Offer { chan, .. }
            | Instr::Choose { chan, .. } => Some(chan),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_stay_small() {
        assert!(
            std::mem::size_of::<Instr>() <= 8,
            "{}",
            std::mem::size_of::<Instr>()
        );
    }

    #[test]
    fn register_operands_are_listed() {
        let check = |i: Instr, expected: &[Reg]| {
            assert_eq!(i.registers().collect::<Vec<_>>(), expected, "{i:?}");
        };
        check(Instr::Send { chan: 0, val: None }, &[]);
        check(
            Instr::Send {
                chan: 0,
                val: Some(3),
            },
            &[3],
        );
        check(Instr::Move { dst: 1, src: 2 }, &[1, 2]);
        check(Instr::Halt, &[]);
        check(Instr::Acquire { layer: 9, dst: 4 }, &[4]);
        check(
            Instr::Release {
                layer: 9,
                evidence: 5,
            },
            &[5],
        );
        check(Instr::Fork { ghost: 3 }, &[]);
        check(
            Instr::Transfer {
                endpoint: 0,
                target: 1,
                bundle: 2,
            },
            &[0, 1, 2],
        );
        check(Instr::Tag { fact: 1, dst: 2 }, &[1, 2]);
        check(
            Instr::Check {
                knowledge: 1,
                target: 2,
                dst: 3,
            },
            &[1, 2, 3],
        );
    }
}
