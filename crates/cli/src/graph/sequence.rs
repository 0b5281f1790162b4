//! A Mermaid `sequenceDiagram` drawn from the protocol's source: messages as
//! arrows, choices and `case` as `alt`, loops and `rec` as `loop`, `par` as
//! `par`, timeouts and heartbeats as `alt`/`loop` with notes.

use std::fmt::Write;
use telltale_lang::ast::{LoopKind, Protocol, RoleRef, Stmt, StmtKind};
use telltale_lang::SourceFile;

/// The diagram of `protocol`, whose spans point into `source`.
pub fn mermaid(protocol: &Protocol, source: &SourceFile) -> String {
    let mut diagram = Diagram {
        source,
        out: String::from("sequenceDiagram\n"),
        participants: Vec::new(),
    };
    diagram.declare_participants(protocol);
    let names: Vec<(String, String)> = diagram.participants.clone();
    for (id, shown) in &names {
        if id == shown {
            let _ = writeln!(diagram.out, "    participant {id}");
        } else {
            let _ = writeln!(diagram.out, "    participant {id} as {shown}");
        }
    }
    diagram.block(&protocol.body, 1);
    diagram.out
}

struct Diagram<'a> {
    source: &'a SourceFile,
    out: String,
    /// `(mermaid id, displayed name)` in declaration order.
    participants: Vec<(String, String)>,
}

impl Diagram<'_> {
    fn text(&self, start: usize, end: usize) -> &str {
        self.source.text.get(start..end).unwrap_or("").trim()
    }

    fn role_text(&self, role: &RoleRef) -> String {
        self.text(role.span.start, role.span.end).to_string()
    }

    fn add_participant(&mut self, id: &str, shown: String) {
        if !self.participants.iter().any(|(known, _)| known == id) {
            self.participants.push((id.to_string(), shown));
        }
    }

    /// Participants from `roles` (families shown with their size), then any
    /// role that only appears in messages.
    fn declare_participants(&mut self, protocol: &Protocol) {
        for decl in &protocol.params {
            let shown = self.text(decl.span.start, decl.span.end).to_string();
            self.add_participant(&decl.name.text, shown);
        }
        for stmt in &protocol.body {
            if let StmtKind::Roles(decls) = &stmt.kind {
                for decl in decls {
                    let shown = self.text(decl.span.start, decl.span.end).to_string();
                    self.add_participant(&decl.name.text, shown);
                }
            }
        }
        self.collect_from(&protocol.body);
    }

    fn collect_from(&mut self, body: &[Stmt]) {
        for stmt in body {
            match &stmt.kind {
                StmtKind::Send { from, to, .. } => {
                    for role in std::iter::once(from).chain(to) {
                        self.add_participant(&role.name.text, role.name.text.clone());
                    }
                }
                StmtKind::Choice { branches, .. } => {
                    for b in branches {
                        self.collect_from(&b.body);
                    }
                }
                StmtKind::Rec { body, .. } | StmtKind::Loop { body, .. } => self.collect_from(body),
                StmtKind::Par(branches) => {
                    for (b, _) in branches {
                        self.collect_from(b);
                    }
                }
                StmtKind::Timeout {
                    body, on_timeout, ..
                } => {
                    self.collect_from(body);
                    self.collect_from(on_timeout);
                }
                StmtKind::Heartbeat {
                    body, on_missing, ..
                } => {
                    self.collect_from(body);
                    self.collect_from(on_missing);
                }
                StmtKind::Case { branches, .. } => {
                    for b in branches {
                        self.collect_from(&b.body);
                    }
                }
                _ => {}
            }
        }
    }

    fn first_participant(&self) -> String {
        self.participants
            .first()
            .map(|(id, _)| id.clone())
            .unwrap_or_else(|| "protocol".to_string())
    }

    fn line(&mut self, depth: usize, text: &str) {
        let _ = writeln!(self.out, "{}{text}", "    ".repeat(depth));
    }

    fn note(&mut self, depth: usize, over: &str, text: &str) {
        self.line(
            depth,
            &format!("Note over {over}: {}", text.replace(';', ",")),
        );
    }

    fn block(&mut self, body: &[Stmt], depth: usize) {
        for stmt in body {
            self.stmt(stmt, depth);
        }
    }

    fn stmt(&mut self, stmt: &Stmt, depth: usize) {
        match &stmt.kind {
            StmtKind::Roles(_) => {}
            StmtKind::Send {
                from,
                to,
                broadcast,
                ..
            } => {
                let whole = self.text(stmt.span.start, stmt.span.end).to_string();
                let message = whole
                    .split_once(':')
                    .map(|(_, m)| m.trim().to_string())
                    .unwrap_or(whole.clone());
                let indexed = from.index.is_some() || to.iter().any(|r| r.index.is_some());
                let shown = if indexed {
                    let receivers: Vec<String> = to.iter().map(|r| self.role_text(r)).collect();
                    format!(
                        "{message} [{} to {}]",
                        self.role_text(from),
                        receivers.join(", ")
                    )
                } else {
                    message
                };
                if *broadcast {
                    let others: Vec<String> = self
                        .participants
                        .iter()
                        .map(|(id, _)| id.clone())
                        .filter(|id| *id != from.name.text)
                        .collect();
                    for other in others {
                        self.line(depth, &format!("{}->>{other}: {shown}", from.name.text));
                    }
                }
                for receiver in to {
                    self.line(
                        depth,
                        &format!("{}->>{}: {shown}", from.name.text, receiver.name.text),
                    );
                }
            }
            StmtKind::Choice { decider, branches } => {
                for (i, branch) in branches.iter().enumerate() {
                    let keyword = if i == 0 { "alt" } else { "else" };
                    let guard = branch
                        .guard
                        .as_ref()
                        .map(|g| format!(" when {g}"))
                        .unwrap_or_default();
                    let decider = self.role_text(decider);
                    self.line(
                        depth,
                        &format!("{keyword} {decider} chooses {}{guard}", branch.name.text),
                    );
                    self.block(&branch.body, depth + 1);
                }
                self.line(depth, "end");
            }
            StmtKind::Rec { label, body } => {
                self.line(depth, &format!("loop {}", label.text));
                self.block(body, depth + 1);
                self.line(depth, "end");
            }
            StmtKind::Continue(label) => {
                let over = self.first_participant();
                self.note(depth, &over, &format!("continue {}", label.text));
            }
            StmtKind::Loop { kind, body } => {
                let header = match kind {
                    LoopKind::Forever => "forever".to_string(),
                    LoopKind::Repeat(n) => format!("repeat {n}"),
                    LoopKind::DecideBy(role) => format!("decided by {}", self.role_text(role)),
                    LoopKind::While(cond) => format!("while {cond}"),
                };
                self.line(depth, &format!("loop {header}"));
                self.block(body, depth + 1);
                self.line(depth, "end");
            }
            StmtKind::Par(branches) => {
                for (i, (branch, _)) in branches.iter().enumerate() {
                    self.line(depth, if i == 0 { "par" } else { "and" });
                    self.block(branch, depth + 1);
                }
                self.line(depth, "end");
            }
            StmtKind::Call { .. } | StmtKind::Let { .. } => {
                let over = self.first_participant();
                let text = self.text(stmt.span.start, stmt.span.end).to_string();
                self.note(depth, &over, &text);
            }
            StmtKind::Timeout {
                duration,
                role,
                body,
                on_timeout,
            } => {
                let role = self.role_text(role);
                self.line(depth, &format!("alt within {duration} ({role} waits)"));
                self.block(body, depth + 1);
                self.line(depth, "else on timeout");
                self.block(on_timeout, depth + 1);
                self.line(depth, "end");
            }
            StmtKind::Heartbeat {
                from,
                to,
                every,
                missing,
                on_missing,
                body,
            } => {
                let (from, to) = (self.role_text(from), self.role_text(to));
                self.line(depth, &format!("loop {from} beats every {every}"));
                self.line(depth + 1, &format!("{from}->>{to}: Heartbeat"));
                self.line(depth + 1, &format!("alt {to} sees it alive"));
                self.block(body, depth + 2);
                self.line(depth + 1, &format!("else {missing} beats missing"));
                self.block(on_missing, depth + 2);
                self.line(depth + 1, "end");
                self.line(depth, "end");
            }
            StmtKind::Case {
                scrutinee,
                branches,
            } => {
                for (i, branch) in branches.iter().enumerate() {
                    let keyword = if i == 0 { "alt" } else { "else" };
                    let binder = branch
                        .binder
                        .as_ref()
                        .map(|b| format!("({})", b.text))
                        .unwrap_or_default();
                    self.line(
                        depth,
                        &format!(
                            "{keyword} {} is {}{binder}",
                            scrutinee.text, branch.constructor.text
                        ),
                    );
                    self.block(&branch.body, depth + 1);
                }
                self.line(depth, "end");
            }
        }
    }
}
