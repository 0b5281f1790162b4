//! Protocol names across modules: the protocols of an imported module are
//! known by their qualified name (`a.b.P`), and every `do` is rewritten to
//! the name of the protocol it means before the modules are merged.

use crate::ast::{Module, Stmt, StmtKind};
use std::collections::BTreeMap;
use telltale_types::stack::with_headroom;

/// How the `do` targets written in one module map to merged names.
pub(super) struct CallNames {
    /// Protocols declared in the module itself, by written name.
    own: BTreeMap<String, String>,
    /// Prefixes to replace: `M.` of an alias with its module's path, or
    /// the module's own name (`None`: the rest names an own protocol).
    prefixes: Vec<(String, Option<String>)>,
}

impl CallNames {
    /// The names for `module`, whose own protocols are merged as
    /// `qualifier.P` (or keep their name when `qualifier` is `None`, for
    /// the file being checked).
    pub(super) fn new(module: &Module, qualifier: Option<&str>) -> Self {
        let qualify = |name: &str| match qualifier {
            Some(q) => format!("{q}.{name}"),
            None => name.to_string(),
        };
        let own = module
            .top_level_protocols()
            .map(|p| (p.name.text.clone(), qualify(&p.name.text)))
            .collect();
        let mut prefixes = Vec::new();
        if let Some(header) = &module.header {
            let path: Vec<&str> = header.path.iter().map(|n| n.text.as_str()).collect();
            prefixes.push((format!("{}.", path.join(".")), None));
        }
        for import in &module.imports {
            if let Some(alias) = &import.alias {
                let path: Vec<&str> = import.path.iter().map(|n| n.text.as_str()).collect();
                prefixes.push((format!("{}.", alias.text), Some(path.join("."))));
            }
        }
        CallNames { own, prefixes }
    }

    /// The merged name of a protocol declared in the module.
    pub(super) fn own(&self, name: &str) -> Option<&str> {
        self.own.get(name).map(String::as_str)
    }

    /// The merged name a written `do` target stands for.
    fn target(&self, written: &str) -> Option<String> {
        if let Some(name) = self.own.get(written) {
            return Some(name.clone());
        }
        for (prefix, replacement) in &self.prefixes {
            if let Some(rest) = written.strip_prefix(prefix.as_str()) {
                return match replacement {
                    Some(path) => Some(format!("{path}.{rest}")),
                    None => self.own.get(rest).cloned(),
                };
            }
        }
        None
    }

    /// Rewrites every `do` target in a block.
    pub(super) fn rewrite(&self, stmts: &mut [Stmt]) {
        with_headroom(|| {
            for stmt in stmts {
                match &mut stmt.kind {
                    StmtKind::Call { protocol, .. } => {
                        if let Some(name) = self.target(&protocol.text) {
                            protocol.text = name;
                        }
                    }
                    StmtKind::Choice { branches, .. } => {
                        for b in branches {
                            self.rewrite(&mut b.body);
                        }
                    }
                    StmtKind::Case { branches, .. } => {
                        for b in branches {
                            self.rewrite(&mut b.body);
                        }
                    }
                    StmtKind::Rec { body, .. } | StmtKind::Loop { body, .. } => self.rewrite(body),
                    StmtKind::Par(branches) => {
                        for (b, _) in branches {
                            self.rewrite(b);
                        }
                    }
                    StmtKind::Timeout {
                        body, on_timeout, ..
                    } => {
                        self.rewrite(body);
                        self.rewrite(on_timeout);
                    }
                    StmtKind::Heartbeat {
                        on_missing, body, ..
                    } => {
                        self.rewrite(on_missing);
                        self.rewrite(body);
                    }
                    StmtKind::Roles(_)
                    | StmtKind::Send { .. }
                    | StmtKind::Continue(_)
                    | StmtKind::Let { .. } => {}
                }
            }
        })
    }
}
