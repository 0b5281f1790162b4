//! Generators and transformers of protocol types for the property tests.
//!
//! [`well_formed_global`] builds random global types that are well formed
//! by construction: recursion variables are only used after a
//! communication, labels of a choice are distinct, and every choice with
//! several branches either continues identically in all of them or has the
//! chooser tell every other role which branch was taken, so projection
//! with full merge succeeds for every role.

use proptest::prelude::*;
use std::collections::BTreeMap;
use telltale_types::global::Branch;
use telltale_types::random::SeededRng;
use telltale_types::stack::with_headroom;
use telltale_types::{GlobalType, Label, LocalType, PayloadSort};

/// The roles generated types draw from.
const ROLES: [&str; 4] = ["A", "B", "C", "D"];
/// Label names; a choice uses distinct ones.
const LABELS: [&str; 4] = ["a", "b", "c", "d"];
/// Recursion variable names; a small pool, so shadowing happens.
const VARS: [&str; 3] = ["t", "u", "w"];

/// `percent` in a hundred, from the workspace's seeded generator.
fn chance(random: &mut SeededRng, percent: usize) -> bool {
    random.index(100) < percent
}

/// Builds one global type of about `size` communications.
struct Generator {
    random: SeededRng,
    budget: usize,
}

impl Generator {
    fn node(&mut self, scope: &mut Vec<String>, may_jump: bool) -> GlobalType {
        if self.budget == 0 || chance(&mut self.random, 10) {
            return self.leaf(scope, may_jump);
        }
        if chance(&mut self.random, 20) {
            let var = VARS[self.random.index(VARS.len())].to_string();
            scope.push(var.clone());
            let body = self.node(scope, false);
            scope.pop();
            return GlobalType::rec(var, body);
        }
        self.budget -= 1;
        let sender = self.random.index(ROLES.len());
        let receiver = (sender + 1 + self.random.index(ROLES.len() - 1)) % ROLES.len();
        let count = 1 + self.random.index(3);
        let first_label = self.random.index(LABELS.len());
        let labels: Vec<Label> = (0..count)
            .map(|i| self.label(LABELS[(first_label + i) % LABELS.len()]))
            .collect();
        let (sender, receiver) = (ROLES[sender], ROLES[receiver]);
        let branches: Vec<(Label, GlobalType)> = if count == 1 || chance(&mut self.random, 40) {
            let next = self.node(scope, true);
            // Copies count against the size budget; without room for them
            // the choice keeps a single branch, so sizes stay bounded.
            let copies = (count - 1) * next.message_count();
            let kept = if copies <= self.budget { count } else { 1 };
            self.budget -= if kept > 1 { copies } else { 0 };
            labels
                .into_iter()
                .take(kept)
                .map(|l| (l, next.clone()))
                .collect()
        } else {
            labels
                .into_iter()
                .map(|label| {
                    let mut next = self.node(scope, true);
                    self.budget = self.budget.saturating_sub(ROLES.len() - 2);
                    for other in ROLES.iter().rev() {
                        if *other != sender && *other != receiver {
                            next =
                                GlobalType::send(sender, *other, Label::unit(&*label.name), next);
                        }
                    }
                    (label, next)
                })
                .collect()
        };
        GlobalType::choice(sender, receiver, branches)
    }

    fn leaf(&mut self, scope: &[String], may_jump: bool) -> GlobalType {
        if may_jump && !scope.is_empty() && chance(&mut self.random, 60) {
            GlobalType::var(scope[self.random.index(scope.len())].clone())
        } else {
            GlobalType::End
        }
    }

    fn label(&mut self, name: &str) -> Label {
        let sort = match self.random.index(4) {
            0 => PayloadSort::Int,
            1 => PayloadSort::String,
            2 => PayloadSort::Named("api.Order".into()),
            _ => PayloadSort::Unit,
        };
        Label::new(name, sort)
    }
}

/// A well-formed global type of about `size` communications, from `seed`.
pub fn well_formed_global(seed: u64, size: usize) -> GlobalType {
    let mut generator = Generator {
        random: SeededRng::new(seed),
        budget: size,
    };
    generator.node(&mut Vec::new(), false)
}

/// Random well-formed global types of up to 40 communications.
pub fn global_types() -> impl Strategy<Value = GlobalType> {
    (any::<u64>(), 1usize..40).prop_map(|(seed, size)| well_formed_global(seed, size))
}

/// The same global type with every recursion variable renamed apart.
pub fn rename_global(g: &GlobalType) -> GlobalType {
    rename_global_in(g, &mut BTreeMap::new(), &mut 0)
}

fn rename_global_in(
    g: &GlobalType,
    names: &mut BTreeMap<String, Vec<String>>,
    counter: &mut usize,
) -> GlobalType {
    with_headroom(|| match g {
        GlobalType::Comm {
            sender,
            receiver,
            branches,
        } => GlobalType::Comm {
            sender: sender.clone(),
            receiver: receiver.clone(),
            branches: branches
                .iter()
                .map(|b| {
                    Branch::new(
                        b.label.clone(),
                        rename_global_in(&b.continuation, names, counter),
                    )
                })
                .collect(),
        },
        GlobalType::Rec { var, body } => {
            let fresh = bind(var, names, counter);
            let body = rename_global_in(body, names, counter);
            unbind(var, names);
            GlobalType::rec(fresh, body)
        }
        GlobalType::Var(name) => GlobalType::Var(lookup(name, names)),
        GlobalType::End => GlobalType::End,
    })
}

/// The same local type with every recursion variable renamed apart.
pub fn rename_local(t: &LocalType) -> LocalType {
    rename_local_in(t, &mut BTreeMap::new(), &mut 0)
}

fn rename_local_in(
    t: &LocalType,
    names: &mut BTreeMap<String, Vec<String>>,
    counter: &mut usize,
) -> LocalType {
    with_headroom(|| match t {
        LocalType::Send { partner, branches } | LocalType::Recv { partner, branches } => {
            let direction = t.as_comm().map(|(d, _, _)| d);
            let branches = branches
                .iter()
                .map(|b| {
                    Branch::new(
                        b.label.clone(),
                        rename_local_in(&b.continuation, names, counter),
                    )
                })
                .collect();
            match direction {
                Some(d) => LocalType::comm(d, partner.clone(), branches),
                None => LocalType::End,
            }
        }
        LocalType::Rec { var, body } => {
            let fresh = bind(var, names, counter);
            let body = rename_local_in(body, names, counter);
            unbind(var, names);
            LocalType::rec(fresh, body)
        }
        LocalType::Var(name) => LocalType::Var(lookup(name, names)),
        LocalType::End => LocalType::End,
    })
}

fn bind(var: &str, names: &mut BTreeMap<String, Vec<String>>, counter: &mut usize) -> String {
    *counter += 1;
    let fresh = format!("renamed_{counter}");
    names
        .entry(var.to_string())
        .or_default()
        .push(fresh.clone());
    fresh
}

fn unbind(var: &str, names: &mut BTreeMap<String, Vec<String>>) {
    if let Some(stack) = names.get_mut(var) {
        stack.pop();
    }
}

fn lookup(name: &str, names: &BTreeMap<String, Vec<String>>) -> String {
    names
        .get(name)
        .and_then(|stack| stack.last())
        .cloned()
        .unwrap_or_else(|| name.to_string())
}

/// The same global type with the branches of every choice in reverse order.
pub fn reverse_global(g: &GlobalType) -> GlobalType {
    with_headroom(|| match g {
        GlobalType::Comm {
            sender,
            receiver,
            branches,
        } => GlobalType::Comm {
            sender: sender.clone(),
            receiver: receiver.clone(),
            branches: branches
                .iter()
                .rev()
                .map(|b| Branch::new(b.label.clone(), reverse_global(&b.continuation)))
                .collect(),
        },
        GlobalType::Rec { var, body } => GlobalType::rec(var.clone(), reverse_global(body)),
        other => other.clone(),
    })
}

/// The same local type with the branches of every choice in reverse order.
pub fn reverse_local(t: &LocalType) -> LocalType {
    with_headroom(|| match t.as_comm() {
        Some((direction, partner, branches)) => LocalType::comm(
            direction,
            partner.clone(),
            branches
                .iter()
                .rev()
                .map(|b| Branch::new(b.label.clone(), reverse_local(&b.continuation)))
                .collect(),
        ),
        None => match t {
            LocalType::Rec { var, body } => LocalType::rec(var.clone(), reverse_local(body)),
            other => other.clone(),
        },
    })
}
