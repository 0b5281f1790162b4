//! Code images: every role's local type and program, validated on load.

use crate::compile::{compile_with_effects, CompileError};
use crate::instr::{Instr, RoleId};
use crate::monitor::MonitorTable;
use crate::program::Program;
use crate::role_local::RoleLocalType;
use crate::symbols::{Interner, Symbols};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use telltale_types::value::{guard_depth, DepthGuarded, ValueTooDeep};
use telltale_types::{EffectTable, GlobalType, LocalType};
use thiserror::Error;

/// The largest register file an image may ask for.
pub const MAX_REGISTERS: u16 = 1024;

/// One role of an image: its local type and the program compiled from it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoleImage {
    /// The role, as an id into the image's role table.
    pub role: RoleId,
    /// The role's local type.
    pub local_type: LocalType,
    /// The role's bytecode.
    pub program: Program,
}

/// The code image format this build writes and reads. Format 1 was the
/// unversioned encoding of earlier builds (no `format` field); 2 added the
/// version itself and `case`-pattern names in the effect table.
pub const IMAGE_FORMAT_VERSION: u32 = 2;

/// A loadable unit: the global type, every role's local type and program,
/// and the interned symbol tables they refer to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CodeImage {
    /// The format it is encoded in ([`IMAGE_FORMAT_VERSION`]); first, so
    /// that a reader finds it before anything else.
    #[serde(default = "format_one")]
    pub format: u32,
    /// The global protocol, when known.
    pub global: Option<GlobalType>,
    /// Interned roles and labels.
    pub symbols: Symbols,
    /// The roles, in role-table order of first appearance.
    pub roles: Vec<RoleImage>,
    /// The effect operations the protocol performs and where, beside the
    /// global type; an operation's index here is its stable id.
    #[serde(default)]
    pub effects: EffectTable,
}

/// The format of an image that names none: the unversioned format 1.
fn format_one() -> u32 {
    1
}

/// Why an image was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ImageError {
    /// The image is in another format than this build reads.
    #[error("code image format {found} is not supported (this build reads format {IMAGE_FORMAT_VERSION}); compile the protocol again with `tell compile`")]
    UnsupportedFormat {
        /// The format the image names (1 for images without one).
        found: u32,
    },
    /// The bytes or text are not an encoded image.
    #[error("cannot decode code image: {0}")]
    Decode(String),
    /// The image could not be encoded.
    #[error("cannot encode code image: {0}")]
    Encode(String),
    /// A constant is nested deeper than the value depth limit.
    #[error("code image refused: {0}")]
    ValueTooDeep(ValueTooDeep),
    /// The image has no roles.
    #[error("code image has no roles")]
    NoRoles,
    /// A role id outside the role table.
    #[error("unknown role id {id} ({context})")]
    UnknownRole {
        /// The id.
        id: RoleId,
        /// Where it appeared.
        context: String,
    },
    /// A role has two entries, or the symbol table names a role twice.
    #[error("role `{role}` appears twice")]
    DuplicateRole {
        /// The role.
        role: String,
    },
    /// The symbol table names a label twice.
    #[error("label `{label}` appears twice in the label table")]
    DuplicateLabel {
        /// The label.
        label: String,
    },
    /// A role of the global type, or a partner of some program, has no
    /// program.
    #[error("role `{role}` has no program in the image")]
    MissingRole {
        /// The role.
        role: String,
    },
    /// A program asks for too many registers.
    #[error("role `{role}`: {count} registers exceed the limit of {MAX_REGISTERS}")]
    TooManyRegisters {
        /// The role.
        role: String,
        /// The declared count.
        count: u16,
    },
    /// A program is empty or can run past its last instruction.
    #[error("role `{role}`: program can run past its end")]
    FallsOffEnd {
        /// The role.
        role: String,
    },
    /// An instruction operand is out of range.
    #[error("role `{role}`, pc {pc}: {problem}")]
    BadOperand {
        /// The role.
        role: String,
        /// The instruction's index.
        pc: usize,
        /// What is wrong.
        problem: String,
    },
    /// A local type does not compile.
    #[error("role `{role}`: local type does not compile: {error}")]
    LocalType {
        /// The role.
        role: String,
        /// The compiler's error.
        error: CompileError,
    },
    /// A program is not the compilation of its local type.
    #[error("role `{role}`: program does not match its local type")]
    ProgramMismatch {
        /// The role.
        role: String,
    },
}

/// Maps a guarded codec failure: a too-deep value keeps its own variant,
/// any other failure (a too-deep sort included) becomes `wrap` of its text.
fn codec_error<E: std::fmt::Display>(
    wrap: fn(String) -> ImageError,
) -> impl Fn(DepthGuarded<E>) -> ImageError {
    move |e| match e {
        DepthGuarded::TooDeep(e) => ImageError::ValueTooDeep(e),
        other @ DepthGuarded::SortTooDeep { .. } => wrap(other.to_string()),
        DepthGuarded::Other(e) => wrap(e.to_string()),
    }
}

impl CodeImage {
    /// Compiles every role's local type into one image with shared symbols.
    /// `locals` is any list of roles and local types ([`RoleLocalType`]):
    /// what projection returns, or a hand-written list.
    pub fn build<I>(global: Option<&GlobalType>, locals: I) -> Result<Self, ImageError>
    where
        I: IntoIterator,
        I::Item: RoleLocalType,
    {
        Self::build_with_effects(global, locals, &EffectTable::default())
    }

    /// Like [`CodeImage::build`], compiling each performer's checks to
    /// effect calls of `effects` (which the image carries).
    pub fn build_with_effects<I>(
        global: Option<&GlobalType>,
        locals: I,
        effects: &EffectTable,
    ) -> Result<Self, ImageError>
    where
        I: IntoIterator,
        I::Item: RoleLocalType,
    {
        let locals: Vec<I::Item> = locals.into_iter().collect();
        let mut interner = Interner::new();
        let mut ids = Vec::with_capacity(locals.len());
        for entry in &locals {
            let role = entry.role();
            let id = interner.role(role).map_err(|e| ImageError::LocalType {
                role: role.to_string(),
                error: e.into(),
            })?;
            ids.push(id);
        }
        let mut roles = Vec::with_capacity(locals.len());
        for (entry, id) in locals.iter().zip(ids) {
            let (role, local) = (entry.role(), entry.local_type());
            let program = compile_with_effects(local, &mut interner, Some(role), effects).map_err(
                |error| ImageError::LocalType {
                    role: role.to_string(),
                    error,
                },
            )?;
            roles.push(RoleImage {
                role: id,
                local_type: local.clone(),
                program,
            });
        }
        let image = CodeImage {
            format: IMAGE_FORMAT_VERSION,
            global: global.cloned(),
            symbols: interner.into_symbols(),
            roles,
            effects: effects.clone(),
        };
        image.validate()?;
        Ok(image)
    }

    /// Decodes a postcard image and validates it. The format is read first,
    /// so an image of another format is refused by name, not by a decoding
    /// error deep inside it.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ImageError> {
        match postcard::take_from_bytes::<u32>(bytes) {
            Ok((IMAGE_FORMAT_VERSION, _)) => {}
            // An unversioned image opens with its `global` option: 0 or 1.
            Ok((0 | 1, _)) => return Err(ImageError::UnsupportedFormat { found: 1 }),
            Ok((found, _)) => return Err(ImageError::UnsupportedFormat { found }),
            Err(e) => return Err(ImageError::Decode(e.to_string())),
        }
        let image: CodeImage =
            guard_depth(|| postcard::from_bytes(bytes)).map_err(codec_error(ImageError::Decode))?;
        image.validate()?;
        Ok(image)
    }

    /// Decodes a JSON image and validates it.
    pub fn from_json(text: &str) -> Result<Self, ImageError> {
        let image: CodeImage =
            guard_depth(|| serde_json::from_str(text)).map_err(codec_error(ImageError::Decode))?;
        image.validate()?;
        Ok(image)
    }

    /// Encodes the image with postcard.
    pub fn to_bytes(&self) -> Result<Vec<u8>, ImageError> {
        guard_depth(|| postcard::to_allocvec(self)).map_err(codec_error(ImageError::Encode))
    }

    /// Encodes the image as pretty JSON (for reading: a local type nests
    /// one level per step, so the indentation grows with the protocol).
    pub fn to_json(&self) -> Result<String, ImageError> {
        guard_depth(|| serde_json::to_string_pretty(self)).map_err(codec_error(ImageError::Encode))
    }

    /// Encodes the image as compact JSON: its size grows with the
    /// protocol, not with the square of its nesting depth.
    pub fn to_json_compact(&self) -> Result<String, ImageError> {
        guard_depth(|| serde_json::to_string(self)).map_err(codec_error(ImageError::Encode))
    }

    /// The entry of a role, by name.
    pub fn role(&self, name: &str) -> Option<&RoleImage> {
        let id = self.symbols.role_id(name)?;
        self.roles.iter().find(|r| r.role == id)
    }

    /// Full validation: structure, role coverage, and every program equal to
    /// the compilation of its local type.
    pub fn validate(&self) -> Result<(), ImageError> {
        self.validate_structure()?;
        let mut interner = Interner::frozen(&self.symbols);
        for entry in &self.roles {
            let role = self.symbols.role_name(entry.role);
            let compiled = compile_with_effects(
                &entry.local_type,
                &mut interner,
                self.symbols.role(entry.role),
                &self.effects,
            )
            .map_err(|error| ImageError::LocalType {
                role: role.clone(),
                error,
            })?;
            if compiled != entry.program {
                return Err(ImageError::ProgramMismatch { role });
            }
        }
        Ok(())
    }

    /// Structural validation only: symbol tables, role coverage, operands,
    /// jump targets and register bounds. Programs may differ from their local
    /// types (hand-written bytecode); the run-time monitor still enforces the
    /// local types.
    pub fn validate_structure(&self) -> Result<(), ImageError> {
        if self.format != IMAGE_FORMAT_VERSION {
            return Err(ImageError::UnsupportedFormat { found: self.format });
        }
        if self.roles.is_empty() {
            return Err(ImageError::NoRoles);
        }
        let mut seen = BTreeSet::new();
        for r in &self.symbols.roles {
            if !seen.insert(r.as_str()) {
                return Err(ImageError::DuplicateRole {
                    role: r.to_string(),
                });
            }
        }
        let mut labels = BTreeSet::new();
        for l in &self.symbols.labels {
            if !labels.insert(l) {
                return Err(ImageError::DuplicateLabel {
                    label: l.to_string(),
                });
            }
        }
        if self.symbols.roles.len() > usize::from(RoleId::MAX)
            || self.symbols.labels.len() > usize::from(u16::MAX)
        {
            return Err(ImageError::Decode("symbol table too large".into()));
        }
        let mut entries = BTreeSet::new();
        for entry in &self.roles {
            if self.symbols.role(entry.role).is_none() {
                return Err(ImageError::UnknownRole {
                    id: entry.role,
                    context: "role entry".into(),
                });
            }
            if !entries.insert(entry.role) {
                return Err(ImageError::DuplicateRole {
                    role: self.symbols.role_name(entry.role),
                });
            }
            self.validate_program(entry)?;
        }
        for entry in &self.roles {
            let partners = entry.program.code.iter().filter_map(Instr::channel);
            for partner in partners {
                if !entries.contains(&partner) {
                    return Err(ImageError::MissingRole {
                        role: self.symbols.role_name(partner),
                    });
                }
            }
        }
        if let Some(global) = &self.global {
            for role in global.roles() {
                let covered = self
                    .symbols
                    .role_id(role.as_str())
                    .is_some_and(|id| entries.contains(&id));
                if !covered {
                    return Err(ImageError::MissingRole {
                        role: role.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Builds the monitor table of every role, in `roles` order.
    pub fn monitors(&self) -> Result<Vec<MonitorTable>, ImageError> {
        let mut interner = Interner::frozen(&self.symbols);
        self.roles
            .iter()
            .map(|entry| {
                MonitorTable::build(&entry.local_type, &mut interner).map_err(|error| {
                    ImageError::LocalType {
                        role: self.symbols.role_name(entry.role),
                        error,
                    }
                })
            })
            .collect()
    }

    fn validate_program(&self, entry: &RoleImage) -> Result<(), ImageError> {
        let role = self.symbols.role_name(entry.role);
        let p = &entry.program;
        if p.register_count > MAX_REGISTERS {
            return Err(ImageError::TooManyRegisters {
                role,
                count: p.register_count,
            });
        }
        let ends_in_transfer = matches!(
            p.code.last(),
            Some(
                Instr::Jump { .. }
                    | Instr::Halt
                    | Instr::Offer { .. }
                    | Instr::Choose { .. }
                    | Instr::Abort
            )
        );
        if !ends_in_transfer {
            return Err(ImageError::FallsOffEnd { role });
        }
        let bad = |pc: usize, problem: String| ImageError::BadOperand {
            role: role.clone(),
            pc,
            problem,
        };
        let len = p.code.len();
        let regs = p.register_count;
        let role_ok = |id: RoleId| usize::from(id) < self.symbols.roles.len();
        for (pc, instr) in p.code.iter().enumerate() {
            if let Some(r) = instr.registers().find(|r| *r >= regs) {
                return Err(bad(pc, format!("register r{r} out of {regs}")));
            }
            if let Some(chan) = instr.channel() {
                if !role_ok(chan) {
                    return Err(bad(pc, format!("unknown role id {chan}")));
                }
            }
            match *instr {
                Instr::Jump { target } | Instr::Spawn { target, .. } if target as usize >= len => {
                    return Err(bad(pc, format!("jump target {target} out of {len}")));
                }
                Instr::Offer { table, .. } | Instr::Choose { table, .. } => {
                    let t = p
                        .tables
                        .get(usize::from(table))
                        .ok_or_else(|| bad(pc, format!("unknown jump table {table}")))?;
                    if t.dst >= regs {
                        return Err(bad(pc, format!("table register r{} out of {regs}", t.dst)));
                    }
                    if t.labels.is_empty() || t.labels.len() != t.targets.len() {
                        return Err(bad(pc, format!("jump table {table} is empty or ragged")));
                    }
                    if let Some(call) = t.steer {
                        if usize::from(call) >= p.invocations.len() {
                            return Err(bad(pc, format!("unknown effect call {call}")));
                        }
                    }
                    for (label, target) in t.labels.iter().zip(&t.targets) {
                        if usize::from(*label) >= self.symbols.labels.len() {
                            return Err(bad(pc, format!("unknown label id {label}")));
                        }
                        if *target as usize >= len {
                            return Err(bad(pc, format!("jump target {target} out of {len}")));
                        }
                    }
                }
                Instr::Invoke { action, .. } => {
                    if let Some(call) = p.invocations.get(usize::from(action)) {
                        let site = self.effects.sites.get(usize::from(call.site));
                        let known = site.is_some_and(|s| self.effects.operation_of(s).is_some());
                        if !known {
                            return Err(bad(pc, format!("unknown effect site {}", call.site)));
                        }
                        if let Some((_, l)) = call
                            .labels
                            .iter()
                            .find(|(_, l)| usize::from(*l) >= self.symbols.labels.len())
                        {
                            return Err(bad(pc, format!("unknown label id {l}")));
                        }
                    }
                }
                Instr::Set { val, .. } if usize::from(val) >= p.consts.len() => {
                    return Err(bad(pc, format!("unknown constant {val}")));
                }
                Instr::Open { spec } => {
                    let s = p
                        .open_specs
                        .get(usize::from(spec))
                        .ok_or_else(|| bad(pc, format!("unknown open spec {spec}")))?;
                    let all_roles = s
                        .roles
                        .iter()
                        .chain(&s.local_types)
                        .chain(s.handlers.iter().flat_map(|(a, b, _)| [a, b]));
                    if let Some(r) = all_roles.copied().find(|r| !role_ok(*r)) {
                        return Err(bad(pc, format!("open spec names unknown role id {r}")));
                    }
                    if let Some(r) = s.dsts.iter().find(|r| **r >= regs) {
                        return Err(bad(pc, format!("open spec register r{r} out of {regs}")));
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use telltale_types::{Label, PayloadSort, Role};

    fn ping_pong() -> CodeImage {
        let g = GlobalType::send(
            "A",
            "B",
            Label::unit("ping"),
            GlobalType::send("B", "A", Label::unit("pong"), GlobalType::End),
        );
        let a = LocalType::send(
            "B",
            Label::unit("ping"),
            LocalType::recv("B", Label::unit("pong"), LocalType::End),
        );
        let b = LocalType::recv(
            "A",
            Label::unit("ping"),
            LocalType::send("A", Label::unit("pong"), LocalType::End),
        );
        CodeImage::build(Some(&g), &[(Role::new("A"), a), (Role::new("B"), b)]).unwrap()
    }

    #[test]
    fn images_round_trip() {
        let image = ping_pong();
        let bytes = image.to_bytes().unwrap();
        assert_eq!(CodeImage::from_bytes(&bytes).unwrap(), image);
        let json = image.to_json().unwrap();
        assert_eq!(CodeImage::from_json(&json).unwrap(), image);
    }

    /// The image of `ping_pong` with the `pong` payload replaced by a
    /// product nested `depth` deep, spliced into the encoded bytes.
    fn image_with_deep_sort(depth: usize) -> Vec<u8> {
        let mut image = ping_pong();
        let marker = PayloadSort::Named("deep.marker".into());
        image.roles[0].local_type = LocalType::send(
            "B",
            Label::unit("ping"),
            LocalType::recv("B", Label::new("pong", marker.clone()), LocalType::End),
        );
        let bytes = image.to_bytes().unwrap();
        let needle = postcard::to_allocvec(&marker).unwrap();
        let at = bytes
            .windows(needle.len())
            .position(|w| w == needle.as_slice())
            .unwrap();
        let mut deep = [8u8, 1].repeat(depth);
        deep.push(0);
        [&bytes[..at], deep.as_slice(), &bytes[at + needle.len()..]].concat()
    }

    #[test]
    fn an_image_with_a_sort_a_million_deep_is_refused() {
        let err = CodeImage::from_bytes(&image_with_deep_sort(1_000_000)).unwrap_err();
        assert_eq!(
            err.to_string(),
            ImageError::Decode("a payload sort is nested deeper than 1000 levels".into())
                .to_string()
        );
        // The splice itself is sound: a shallow sort decodes (and then fails
        // validation only because the program no longer matches the type).
        let shallow = CodeImage::from_bytes(&image_with_deep_sort(3)).unwrap_err();
        assert!(!matches!(shallow, ImageError::Decode(_)), "{shallow}");
    }

    #[test]
    fn corrupt_images_are_refused() {
        let check = |edit: &dyn Fn(&mut CodeImage), expected: &dyn Fn(&ImageError) -> bool| {
            let mut image = ping_pong();
            edit(&mut image);
            let err = image.validate().unwrap_err();
            assert!(expected(&err), "{err}");
        };
        check(
            &|i| i.roles[0].program.code[2] = Instr::Jump { target: 99 },
            &|e| matches!(e, ImageError::BadOperand { .. }),
        );
        check(
            &|i| i.roles[0].program.code[1] = Instr::Receive { chan: 1, dst: 7 },
            &|e| matches!(e, ImageError::BadOperand { .. }),
        );
        check(
            &|i| {
                i.roles.pop();
            },
            &|e| matches!(e, ImageError::MissingRole { .. }),
        );
        check(&|i| i.roles[0].program.code[0] = Instr::Yield, &|e| {
            matches!(e, ImageError::ProgramMismatch { .. })
        });
        check(
            &|i| {
                i.roles[0].program.code.pop();
            },
            &|e| matches!(e, ImageError::FallsOffEnd { .. }),
        );
        check(&|i| i.roles[1].role = 9, &|e| {
            matches!(e, ImageError::UnknownRole { .. })
        });
        check(&|i| i.roles[1].program.register_count = 5000, &|e| {
            matches!(e, ImageError::TooManyRegisters { .. })
        });
    }
}
