//! Interned symbol tables: roles and labels as small integers.

use crate::instr::{LabelId, RoleId};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use telltale_types::{Label, Role};
use thiserror::Error;

/// A symbol table ran out of room or was asked for an unknown symbol.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SymbolError {
    /// More distinct symbols than an id can number.
    #[error("too many {kind} symbols (at most {max})")]
    Overflow {
        /// Which table overflowed.
        kind: &'static str,
        /// The largest count allowed.
        max: usize,
    },
    /// A frozen table was asked for a symbol it does not contain.
    #[error("unknown {kind} `{name}`")]
    Unknown {
        /// Which table was asked.
        kind: &'static str,
        /// The missing symbol.
        name: String,
    },
}

/// The role and label tables of a code image.
///
/// Ids are dense and assigned in first-seen order, so the same input always
/// interns to the same ids.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Symbols {
    /// Role names by id.
    pub roles: Vec<Role>,
    /// Labels (name and sort) by id.
    pub labels: Vec<Label>,
}

impl Symbols {
    /// The role with the given id.
    pub fn role(&self, id: RoleId) -> Option<&Role> {
        self.roles.get(usize::from(id))
    }

    /// The label with the given id.
    pub fn label(&self, id: LabelId) -> Option<&Label> {
        self.labels.get(usize::from(id))
    }

    /// The role's name, or `?<id>` if unknown, for diagnostics.
    pub fn role_name(&self, id: RoleId) -> String {
        self.role(id)
            .map_or_else(|| format!("?{id}"), |r| r.as_str().to_string())
    }

    /// The label's name, or `?<id>` if unknown, for diagnostics.
    pub fn label_name(&self, id: LabelId) -> String {
        self.label(id)
            .map_or_else(|| format!("?{id}"), |l| l.name().to_string())
    }

    /// The id of a role name, if interned.
    pub fn role_id(&self, role: &str) -> Option<RoleId> {
        self.roles
            .iter()
            .position(|r| r.as_str() == role)
            .and_then(|i| RoleId::try_from(i).ok())
    }
}

/// Builds a [`Symbols`] table, or resolves against a frozen one.
#[derive(Clone, Debug, Default)]
pub struct Interner {
    symbols: Symbols,
    role_index: BTreeMap<Role, RoleId>,
    label_index: BTreeMap<Label, LabelId>,
    frozen: bool,
}

impl Interner {
    /// An empty interner that adds symbols as it meets them.
    pub fn new() -> Self {
        Self::default()
    }

    /// An interner over existing tables that refuses new symbols.
    pub fn frozen(symbols: &Symbols) -> Self {
        let mut interner = Interner {
            symbols: symbols.clone(),
            ..Self::default()
        };
        for (i, r) in symbols.roles.iter().enumerate() {
            if let Ok(id) = RoleId::try_from(i) {
                interner.role_index.entry(r.clone()).or_insert(id);
            }
        }
        for (i, l) in symbols.labels.iter().enumerate() {
            if let Ok(id) = LabelId::try_from(i) {
                interner.label_index.entry(l.clone()).or_insert(id);
            }
        }
        interner.frozen = true;
        interner
    }

    /// The id of `role`, interning it if allowed.
    pub fn role(&mut self, role: &Role) -> Result<RoleId, SymbolError> {
        if let Some(id) = self.role_index.get(role) {
            return Ok(*id);
        }
        if self.frozen {
            return Err(SymbolError::Unknown {
                kind: "role",
                name: role.to_string(),
            });
        }
        let id = RoleId::try_from(self.symbols.roles.len()).map_err(|_| SymbolError::Overflow {
            kind: "role",
            max: usize::from(RoleId::MAX),
        })?;
        self.symbols.roles.push(role.clone());
        self.role_index.insert(role.clone(), id);
        Ok(id)
    }

    /// The id of `label`, interning it if allowed.
    pub fn label(&mut self, label: &Label) -> Result<LabelId, SymbolError> {
        if let Some(id) = self.label_index.get(label) {
            return Ok(*id);
        }
        if self.frozen {
            return Err(SymbolError::Unknown {
                kind: "label",
                name: label.to_string(),
            });
        }
        let id =
            LabelId::try_from(self.symbols.labels.len()).map_err(|_| SymbolError::Overflow {
                kind: "label",
                max: usize::from(LabelId::MAX),
            })?;
        self.symbols.labels.push(label.clone());
        self.label_index.insert(label.clone(), id);
        Ok(id)
    }

    /// The tables built so far.
    pub fn symbols(&self) -> &Symbols {
        &self.symbols
    }

    /// Consumes the interner, returning its tables.
    pub fn into_symbols(self) -> Symbols {
        self.symbols
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_dense_and_stable() {
        let mut i = Interner::new();
        assert_eq!(i.role(&Role::new("B")).unwrap(), 0);
        assert_eq!(i.role(&Role::new("A")).unwrap(), 1);
        assert_eq!(i.role(&Role::new("B")).unwrap(), 0);
        assert_eq!(i.label(&Label::unit("x")).unwrap(), 0);
        let frozen = Interner::frozen(i.symbols());
        let mut f = frozen.clone();
        assert_eq!(f.role(&Role::new("A")).unwrap(), 1);
        assert!(matches!(
            f.role(&Role::new("C")),
            Err(SymbolError::Unknown { kind: "role", .. })
        ));
        assert_eq!(i.symbols().role_id("A"), Some(1));
    }
}
