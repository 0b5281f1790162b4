//! The compiler from local types to bytecode.
//!
//! Per node: a single-branch send becomes `Send`, a multi-branch send
//! `Offer` (which jumps to the picked branch's block), a single-branch
//! receive `Receive`, a multi-branch receive `Choose` with a jump table keyed
//! by interned label, `rec` records a loop head, `var` becomes `Jump` to it
//! and `end` becomes `Halt`.

use crate::effect_sites::{BoundArgument, Invocation, SitePlacer};
use crate::instr::{Instr, Pc, Reg, TableId};
use crate::program::{JumpTable, Program};
use crate::symbols::{Interner, SymbolError};
use std::collections::BTreeSet;
use telltale_types::stack::with_headroom;
use telltale_types::{EffectTable, LocalBranch, LocalType, PayloadSort, Role};
use thiserror::Error;

/// Register holding the coroutine's own endpoint when it starts.
pub const ENDPOINT_REGISTER: Reg = 0;
/// [`ENDPOINT_REGISTER`] as a slice index.
pub const ENDPOINT_REGISTER_INDEX: usize = ENDPOINT_REGISTER as usize;
/// Register receiving payloads of compiled `Receive` and `Choose`.
pub const PAYLOAD_REGISTER: Reg = 1;
/// Number of registers of a compiled program.
pub const COMPILED_REGISTER_COUNT: u16 = 2;
/// Register receiving the outcome of a compiled effect call (programs that
/// perform effects have one more register).
pub const OUTCOME_REGISTER: Reg = 2;

/// Why a local type cannot be compiled.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CompileError {
    /// A `var` with no enclosing `rec` of that name.
    #[error("unbound recursion variable `{var}`")]
    UnboundVariable {
        /// The variable.
        var: String,
    },
    /// `rec t . t` (possibly through nested recs) loops without communicating.
    #[error("unguarded recursion on `{var}`: the loop body does not communicate")]
    UnguardedRecursion {
        /// The variable.
        var: String,
    },
    /// A communication with no branches.
    #[error("communication with `{partner}` has no branches")]
    EmptyChoice {
        /// The partner role.
        partner: Role,
    },
    /// The same label twice in one choice.
    #[error("label `{label}` appears twice in a choice with `{partner}`")]
    DuplicateLabel {
        /// The partner role.
        partner: Role,
        /// The repeated label name.
        label: String,
    },
    /// Too many symbols, tables or instructions for the bytecode format.
    #[error("program too large: {0}")]
    TooLarge(String),
    /// A symbol could not be interned.
    #[error(transparent)]
    Symbol(#[from] SymbolError),
}

/// Compiles a local type with a fresh symbol table.
///
/// Role and label ids in the result refer to the order in which the
/// compiler met them; use [`compile_with`] to share a table across roles.
pub fn compile(local: &LocalType) -> Result<Program, CompileError> {
    compile_with(local, &mut Interner::new())
}

/// Compiles a local type, interning roles and labels in `interner`.
pub fn compile_with(local: &LocalType, interner: &mut Interner) -> Result<Program, CompileError> {
    compile_with_effects(local, interner, None, &EffectTable::default())
}

/// Compiles `role`'s local type, emitting an `Invoke` before each choice
/// that performs an effect site of `effects` (see [`crate::effect_sites`]).
pub fn compile_with_effects(
    local: &LocalType,
    interner: &mut Interner,
    role: Option<&Role>,
    effects: &EffectTable,
) -> Result<Program, CompileError> {
    let mut emitter = Emitter {
        interner,
        program: Program {
            register_count: COMPILED_REGISTER_COUNT,
            ..Program::default()
        },
        loop_heads: Vec::new(),
        sites: SitePlacer::new(effects, role),
        bound: Vec::new(),
    };
    emitter.emit(local)?;
    if !emitter.program.invocations.is_empty() {
        let names = Reg::try_from(emitter.sites.name_count())
            .map_err(|_| CompileError::TooLarge("more than 65536 argument names".into()))?;
        emitter.program.register_count = OUTCOME_REGISTER + 1 + names;
    }
    Ok(emitter.program)
}

/// Checks that `rec` chains reach a communication before their own variables.
pub(crate) fn check_guarded(var: &str, body: &LocalType) -> Result<(), CompileError> {
    let mut bound = vec![var];
    let mut core = body;
    while let LocalType::Rec { var, body } = core {
        bound.push(var);
        core = body;
    }
    match core {
        LocalType::Var(v) if bound.contains(&v.as_str()) => {
            Err(CompileError::UnguardedRecursion { var: v.clone() })
        }
        _ => Ok(()),
    }
}

/// Checks that a choice is non-empty and its labels are distinct.
pub(crate) fn check_branches(partner: &Role, branches: &[LocalBranch]) -> Result<(), CompileError> {
    if branches.is_empty() {
        return Err(CompileError::EmptyChoice {
            partner: partner.clone(),
        });
    }
    let mut seen = BTreeSet::new();
    for b in branches {
        if !seen.insert(b.label.name()) {
            return Err(CompileError::DuplicateLabel {
                partner: partner.clone(),
                label: b.label.name().to_string(),
            });
        }
    }
    Ok(())
}

struct Emitter<'i> {
    interner: &'i mut Interner,
    program: Program,
    loop_heads: Vec<(String, Pc)>,
    sites: SitePlacer<'i>,
    /// Argument names bound on the path being compiled (by a receive's
    /// record field, or a `case` pattern), innermost last.
    bound: Vec<Bound>,
}

/// A name a later call may pass: field `field` of the value copied into
/// `register` (a received record, or an outcome `{Ctor: payload}` whose
/// field is its constructor).
struct Bound {
    name: String,
    register: Reg,
    field: String,
}

impl Emitter<'_> {
    fn pc(&self) -> Result<Pc, CompileError> {
        Pc::try_from(self.program.code.len())
            .map_err(|_| CompileError::TooLarge("more than 2^32 instructions".into()))
    }

    fn new_table(&mut self, dst: Reg, steer: Option<u16>) -> Result<TableId, CompileError> {
        let id = TableId::try_from(self.program.tables.len())
            .map_err(|_| CompileError::TooLarge("more than 65536 jump tables".into()))?;
        self.program.tables.push(JumpTable {
            dst,
            labels: Vec::new(),
            targets: Vec::new(),
            steer,
        });
        Ok(id)
    }

    /// Emits the `Invoke` of the effect site a send performs, if any, and
    /// returns its invocation index.
    fn emit_invoke(
        &mut self,
        partner: &Role,
        branches: &[LocalBranch],
    ) -> Result<Option<u16>, CompileError> {
        let Some((site_index, site)) = self.sites.place(partner, branches) else {
            return Ok(None);
        };
        let too_many = || CompileError::TooLarge("more than 65536 effect calls".into());
        let site_id = u16::try_from(site_index).map_err(|_| too_many())?;
        let action = u16::try_from(self.program.invocations.len()).map_err(|_| too_many())?;
        let mut labels = Vec::with_capacity(site.branches.len());
        for (constructor, label) in &site.branches {
            let Some(b) = branches.iter().find(|b| b.label.name() == label) else {
                continue;
            };
            labels.push((constructor.clone(), self.interner.label(&b.label)?));
        }
        let argument = match site.arguments.as_slice() {
            [name] => self
                .bound
                .iter()
                .rev()
                .find(|b| &b.name == name)
                .map(|b| BoundArgument {
                    register: b.register,
                    field: b.field.clone(),
                }),
            _ => None,
        };
        self.program.invocations.push(Invocation {
            site: site_id,
            labels,
            argument,
        });
        self.program.code.push(Instr::Invoke {
            action,
            dst: OUTCOME_REGISTER,
        });
        Ok(Some(action))
    }

    /// After a receive of `label`: copies the payload into the register of
    /// each argument name its record fields bind, and returns how many
    /// bindings to drop after the continuation.
    fn bind_fields(&mut self, label: &telltale_types::Label) -> usize {
        let PayloadSort::Record(fields) = &label.sort else {
            return 0;
        };
        let before = self.bound.len();
        for (field, _) in fields {
            self.bind(field, PAYLOAD_REGISTER, field);
        }
        self.bound.len() - before
    }

    /// Binds `name`, if a call passes it: copies `src` into the name's
    /// register, whose field `field` the call will pass.
    fn bind(&mut self, name: &str, src: Reg, field: &str) {
        if let Some(register) = self.sites.register_of(name) {
            self.program.code.push(Instr::Move { dst: register, src });
            self.bound.push(Bound {
                name: name.to_string(),
                register,
                field: field.to_string(),
            });
        }
    }

    /// At the start of the branch `label` of a send steered by effect call
    /// `steer`: copies the outcome into the register of the name the
    /// branch's `case` pattern binds, if a later call passes it; returns
    /// how many bindings to drop after the continuation.
    fn bind_pattern(&mut self, steer: Option<u16>, label: &telltale_types::Label) -> usize {
        let Some(invocation) = steer.and_then(|a| self.program.invocations.get(usize::from(a)))
        else {
            return 0;
        };
        let Some(site) = self.sites.site(usize::from(invocation.site)) else {
            return 0;
        };
        let constructors = site
            .branches
            .iter()
            .filter(|(_, l)| l == label.name())
            .map(|(c, _)| c);
        let before = self.bound.len();
        for constructor in constructors {
            let Some((_, name)) = site.binders.iter().find(|(c, _)| c == constructor) else {
                continue;
            };
            self.bind(name, OUTCOME_REGISTER, constructor);
        }
        self.bound.len() - before
    }

    /// Compiles a continuation with the bindings of the receive of `label`
    /// (none for a send) in scope.
    fn emit_after(
        &mut self,
        receiving: bool,
        steer: Option<u16>,
        label: &telltale_types::Label,
        continuation: &LocalType,
    ) -> Result<(), CompileError> {
        let bound = if receiving {
            self.bind_fields(label)
        } else {
            self.bind_pattern(steer, label)
        };
        let result = self.emit(continuation);
        self.bound.truncate(self.bound.len() - bound);
        result
    }

    fn emit(&mut self, local: &LocalType) -> Result<(), CompileError> {
        with_headroom(|| match local {
            LocalType::End => {
                self.program.code.push(Instr::Halt);
                Ok(())
            }
            LocalType::Var(var) => {
                let target = self
                    .loop_heads
                    .iter()
                    .rev()
                    .find(|(v, _)| v == var)
                    .map(|(_, pc)| *pc)
                    .ok_or_else(|| CompileError::UnboundVariable { var: var.clone() })?;
                self.program.code.push(Instr::Jump { target });
                Ok(())
            }
            LocalType::Rec { var, body } => {
                check_guarded(var, body)?;
                let head = self.pc()?;
                self.loop_heads.push((var.clone(), head));
                let result = self.emit(body);
                self.loop_heads.pop();
                result
            }
            LocalType::Send { partner, branches } | LocalType::Recv { partner, branches } => {
                check_branches(partner, branches)?;
                let chan = self.interner.role(partner)?;
                let sending = matches!(local, LocalType::Send { .. });
                let steer = if sending {
                    self.emit_invoke(partner, branches)?
                } else {
                    None
                };
                if let [only] = branches.as_slice() {
                    self.interner.label(&only.label)?;
                    self.program.code.push(if sending {
                        Instr::Send { chan, val: None }
                    } else {
                        Instr::Receive {
                            chan,
                            dst: PAYLOAD_REGISTER,
                        }
                    });
                    return self.emit_after(!sending, steer, &only.label, &only.continuation);
                }
                let table = self.new_table(PAYLOAD_REGISTER, steer)?;
                self.program.code.push(if sending {
                    Instr::Offer { chan, table }
                } else {
                    Instr::Choose { chan, table }
                });
                let cursor = self.sites.cursor;
                for b in branches {
                    self.sites.cursor = cursor;
                    let label = self.interner.label(&b.label)?;
                    let block = self.pc()?;
                    let t = &mut self.program.tables[usize::from(table)];
                    t.labels.push(label);
                    t.targets.push(block);
                    self.emit_after(!sending, steer, &b.label, &b.continuation)?;
                }
                Ok(())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_types::Label;

    fn check(local: LocalType, expected: &str) {
        let program = compile(&local).unwrap();
        assert_eq!(program.to_string(), expected, "{local}");
    }

    #[test]
    fn compiles_each_node_kind() {
        check(
            LocalType::send("B", Label::unit("ping"), LocalType::End),
            "; registers: 2\n   0: send #0\n   1: halt\n",
        );
        check(
            LocalType::recv("B", Label::unit("ping"), LocalType::End),
            "; registers: 2\n   0: receive #0 -> r1\n   1: halt\n",
        );
        check(
            LocalType::rec(
                "t",
                LocalType::select(
                    "B",
                    [
                        (Label::unit("more"), LocalType::var("t")),
                        (Label::unit("stop"), LocalType::End),
                    ],
                ),
            ),
            "; registers: 2\n   0: offer #0 [#0 -> 1, #1 -> 2] -> r1\n   1: jump 0\n   2: halt\n",
        );
        check(
            LocalType::branch(
                "A",
                [
                    (Label::unit("l"), LocalType::End),
                    (Label::unit("r"), LocalType::End),
                ],
            ),
            "; registers: 2\n   0: choose #0 [#0 -> 1, #1 -> 2] -> r1\n   1: halt\n   2: halt\n",
        );
    }

    #[test]
    fn a_choice_that_performs_an_effect_site_invokes_it_first() {
        use telltale_types::{EffectOperation, EffectSite, OutcomeDecl, PayloadSort};
        let site = |operation: u16| EffectSite {
            operation,
            performer: Role::new("A"),
            partner: Role::new("B"),
            arguments: Vec::new(),
            branches: vec![("Ok".into(), "ok".into()), ("_".into(), "no".into())],
            binders: vec![],
        };
        let operation = |name: &str| EffectOperation {
            effect: "E".into(),
            name: name.into(),
            input: PayloadSort::Unit,
            outcomes: vec![OutcomeDecl {
                constructor: "Ok".into(),
                payload: PayloadSort::Unit,
            }],
        };
        let effects = EffectTable {
            operations: vec![operation("first"), operation("second")],
            sites: vec![site(0), site(1)],
            missable: Vec::new(),
        };
        let choice = |k: LocalType| {
            LocalType::select(
                "B",
                [(Label::unit("ok"), k.clone()), (Label::unit("no"), k)],
            )
        };
        let local = choice(choice(LocalType::End));
        let compile_as = |role: &str| {
            let role = Role::new(role);
            compile_with_effects(&local, &mut Interner::new(), Some(&role), &effects).unwrap()
        };
        let program = compile_as("A");
        assert_eq!(
            program.to_string(),
            "; registers: 3\n   0: invoke 0 -> r2\n   1: offer #0 [#0 -> 2, #1 -> 6] -> r1 by outcome of call 0\n   2: invoke 1 -> r2\n   3: offer #0 [#0 -> 4, #1 -> 5] -> r1 by outcome of call 1\n   4: halt\n   5: halt\n   6: invoke 2 -> r2\n   7: offer #0 [#0 -> 8, #1 -> 9] -> r1 by outcome of call 2\n   8: halt\n   9: halt\n"
        );
        // The second choice on each path performs the second site.
        let sites: Vec<u16> = program.invocations.iter().map(|i| i.site).collect();
        assert_eq!(sites, [0, 1, 1]);
        // Another role performs nothing.
        assert!(compile_as("C").invocations.is_empty());
    }

    #[test]
    fn refuses_bad_types() {
        let check_err = |local: LocalType, expected: CompileError| {
            assert_eq!(compile(&local).unwrap_err(), expected, "{local}");
        };
        check_err(
            LocalType::var("x"),
            CompileError::UnboundVariable { var: "x".into() },
        );
        check_err(
            LocalType::rec("t", LocalType::rec("u", LocalType::var("t"))),
            CompileError::UnguardedRecursion { var: "t".into() },
        );
        check_err(
            LocalType::select("B", []),
            CompileError::EmptyChoice {
                partner: Role::new("B"),
            },
        );
        check_err(
            LocalType::select(
                "B",
                [
                    (Label::unit("x"), LocalType::End),
                    (Label::unit("x"), LocalType::End),
                ],
            ),
            CompileError::DuplicateLabel {
                partner: Role::new("B"),
                label: "x".into(),
            },
        );
    }

    #[test]
    fn deep_types_compile() {
        let mut t = LocalType::End;
        for _ in 0..100_000 {
            t = LocalType::send("B", Label::unit("m"), t);
        }
        let p = compile(&t).unwrap();
        assert_eq!(p.code.len(), 100_001);
    }
}
