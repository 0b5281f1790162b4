//! Programs: one role's bytecode with its side tables, and their disassembly.

use crate::effect_sites::Invocation;
use crate::instr::{Instr, LabelId, Pc, Reg, RoleId};
use crate::symbols::Symbols;
use serde::{Deserialize, Serialize};
use std::fmt;
use telltale_types::Value;

/// A jump table of `Offer` and `Choose`: which label continues where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JumpTable {
    /// Register receiving the payload of a `Choose`; unused by `Offer`.
    pub dst: Reg,
    /// The labels of the choice, in branch order.
    pub labels: Vec<LabelId>,
    /// The block each label continues at (same length as `labels`).
    pub targets: Vec<Pc>,
    /// For an `Offer` that follows an effect call: the index of that call in
    /// [`Program::invocations`]; the machine sends the label its outcome
    /// selects instead of asking the handler to pick one.
    #[serde(default)]
    pub steer: Option<u16>,
}

impl JumpTable {
    /// The block a label continues at, by integer comparison.
    #[inline]
    pub fn target(&self, label: LabelId) -> Option<Pc> {
        let i = self.labels.iter().position(|l| *l == label)?;
        self.targets.get(i).copied()
    }
}

/// What an `Open` instruction opens: roles, their programs, edge handlers and
/// where the endpoints go.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenSpec {
    /// The roles of the new session (must be distinct).
    pub roles: Vec<RoleId>,
    /// For each role, the image role whose local type and program it runs.
    pub local_types: Vec<RoleId>,
    /// Handler binding per directed edge `(sender, receiver, handler)`.
    pub handlers: Vec<(RoleId, RoleId, u16)>,
    /// For each role, the register receiving its endpoint.
    pub dsts: Vec<Reg>,
}

/// One role's bytecode.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Program {
    /// The instructions; execution starts at 0.
    pub code: Vec<Instr>,
    /// Jump tables referenced by `Offer` and `Choose`.
    pub tables: Vec<JumpTable>,
    /// Constants referenced by `Set`.
    pub consts: Vec<Value>,
    /// Session specifications referenced by `Open`.
    pub open_specs: Vec<OpenSpec>,
    /// Size of the register file every coroutine of this program gets.
    pub register_count: u16,
    /// Effect calls: an `Invoke` whose action indexes this table performs
    /// that call; other action numbers are host-defined.
    #[serde(default)]
    pub invocations: Vec<Invocation>,
}

impl Program {
    /// A view that disassembles with role and label names.
    pub fn disassemble<'a>(&'a self, symbols: &'a Symbols) -> Disassembly<'a> {
        Disassembly {
            program: self,
            symbols: Some(symbols),
        }
    }
}

/// A program printed as assembly, optionally with symbol names.
pub struct Disassembly<'a> {
    program: &'a Program,
    symbols: Option<&'a Symbols>,
}

impl Disassembly<'_> {
    fn role(&self, id: RoleId) -> String {
        match self.symbols {
            Some(s) => s.role_name(id),
            None => format!("#{id}"),
        }
    }

    fn label(&self, id: LabelId) -> String {
        match self.symbols {
            Some(s) => s.label_name(id),
            None => format!("#{id}"),
        }
    }

    fn table(&self, f: &mut fmt::Formatter<'_>, table: u16) -> fmt::Result {
        match self.program.tables.get(usize::from(table)) {
            Some(t) => {
                f.write_str(" [")?;
                for (i, (label, pc)) in t.labels.iter().zip(&t.targets).enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{} -> {pc}", self.label(*label))?;
                }
                write!(f, "] -> r{}", t.dst)?;
                match t.steer {
                    Some(call) => write!(f, " by outcome of call {call}"),
                    None => Ok(()),
                }
            }
            None => write!(f, " <bad table {table}>"),
        }
    }
}

impl fmt::Display for Disassembly<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "; registers: {}", self.program.register_count)?;
        for (pc, instr) in self.program.code.iter().enumerate() {
            write!(f, "{pc:>4}: {}", instr.mnemonic())?;
            match *instr {
                Instr::Send { chan, val } => {
                    write!(f, " {}", self.role(chan))?;
                    if let Some(v) = val {
                        write!(f, ", r{v}")?;
                    }
                }
                Instr::Receive { chan, dst } => write!(f, " {} -> r{dst}", self.role(chan))?,
                Instr::Offer { chan, table } | Instr::Choose { chan, table } => {
                    write!(f, " {}", self.role(chan))?;
                    self.table(f, table)?;
                }
                Instr::Open { spec } => write!(f, " spec{spec}")?,
                Instr::Close { session } => write!(f, " r{session}")?,
                Instr::Invoke { action, dst } => write!(f, " {action} -> r{dst}")?,
                Instr::Acquire { layer, dst } => write!(f, " {layer} -> r{dst}")?,
                Instr::Release { layer, evidence } => write!(f, " {layer}, r{evidence}")?,
                Instr::Fork { ghost } => write!(f, " {ghost}")?,
                Instr::Transfer {
                    endpoint,
                    target,
                    bundle,
                } => write!(f, " r{endpoint}, r{target}, r{bundle}")?,
                Instr::Tag { fact, dst } => write!(f, " r{fact} -> r{dst}")?,
                Instr::Check {
                    knowledge,
                    target,
                    dst,
                } => write!(f, " r{knowledge}, r{target} -> r{dst}")?,
                Instr::Set { dst, val } => match self.program.consts.get(usize::from(val)) {
                    Some(v) => write!(f, " r{dst}, {v}")?,
                    None => write!(f, " r{dst}, <bad const {val}>")?,
                },
                Instr::Move { dst, src } => write!(f, " r{dst}, r{src}")?,
                Instr::Jump { target } => write!(f, " {target}")?,
                Instr::Spawn { target, args } => write!(f, " {target}, r{args}")?,
                Instr::Join | Instr::Abort | Instr::Yield | Instr::Halt => {}
            }
            writeln!(f)?;
        }
        Ok(())
    }
}

/// Disassembly with numeric role and label ids.
impl fmt::Display for Program {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(
            &Disassembly {
                program: self,
                symbols: None,
            },
            f,
        )
    }
}
