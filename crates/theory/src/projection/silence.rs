//! Silent recursion variables: a loop that a role takes no part in.
//!
//! A recursion `rec X . G` is *silent* for a role `r` when `r` does not
//! occur anywhere in `G`. Inside `G`, a jump to a silent `X` projects onto
//! `r` as `end`, so the branches of `G` that loop and those that leave
//! merge as usual, and the whole loop is `end` for `r` (or the jump to an
//! enclosing recursion in which `r` does take part).
//!
//! [`LoopParticipation`] is computed when the projection walk meets its
//! first recursion (types without loops never pay for it), in one
//! iterative pass over the whole type: every communication marks its two roles in the innermost
//! open recursion only, and a recursion's marks are added to its parent's
//! when it closes, so the pass is linear in the size of the type whatever
//! the nesting. [`SilentScope`] then tracks, during the walk, which binder
//! each variable refers to.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use telltale_types::{GlobalType, Role};

/// For every recursion of a global type, which of the projected roles occur
/// in its body (indexed like the roles of the projection).
pub(super) struct LoopParticipation {
    /// Keyed by the address of the `Rec` node; never iterated.
    by_rec: HashMap<*const GlobalType, Vec<bool>>,
}

impl LoopParticipation {
    /// Finds, for every `Rec` node of `root`, the roles of `roles` its body
    /// mentions.
    pub(super) fn of(root: &GlobalType, roles: &[Role]) -> LoopParticipation {
        enum Step<'g> {
            Enter(&'g GlobalType),
            Close(&'g GlobalType),
        }
        let index: BTreeMap<&Role, usize> = roles.iter().enumerate().map(|(i, r)| (r, i)).collect();
        let mut by_rec = HashMap::new();
        let mut open: Vec<Vec<bool>> = Vec::new();
        let mut steps = vec![Step::Enter(root)];
        while let Some(step) = steps.pop() {
            match step {
                Step::Enter(node) => match node {
                    GlobalType::Comm {
                        sender,
                        receiver,
                        branches,
                    } => {
                        if let Some(innermost) = open.last_mut() {
                            for role in [sender, receiver] {
                                if let Some(&i) = index.get(role) {
                                    innermost[i] = true;
                                }
                            }
                        }
                        steps.extend(branches.iter().map(|b| Step::Enter(&b.continuation)));
                    }
                    GlobalType::Rec { body, .. } => {
                        open.push(vec![false; roles.len()]);
                        steps.push(Step::Close(node));
                        steps.push(Step::Enter(body));
                    }
                    GlobalType::Var(_) | GlobalType::End => {}
                },
                Step::Close(node) => {
                    let occurs = open.pop().unwrap_or_default();
                    if let Some(parent) = open.last_mut() {
                        for (outer, inner) in parent.iter_mut().zip(&occurs) {
                            *outer |= *inner;
                        }
                    }
                    by_rec.insert(node as *const GlobalType, occurs);
                }
            }
        }
        LoopParticipation { by_rec }
    }

    /// Whether role number `role` occurs in the body of the recursion `rec`.
    fn occurs(&self, rec: &GlobalType, role: usize) -> bool {
        self.by_rec
            .get(&(rec as *const GlobalType))
            .and_then(|occurs| occurs.get(role).copied())
            .unwrap_or(true)
    }
}

/// The recursion binders around the node being projected, with the roles
/// each one is silent for.
pub(super) struct SilentScope<'g> {
    /// For each variable, its binders from outermost to innermost.
    binders: BTreeMap<&'g str, Vec<&'g GlobalType>>,
    /// Variables bound outside the projected type that are silent (for a
    /// projection of a subtree onto one role).
    outer: BTreeSet<String>,
}

impl<'g> SilentScope<'g> {
    /// A scope with no binders; `outer` are the free variables that are
    /// silent for the (single) role.
    pub(super) fn new(outer: BTreeSet<String>) -> SilentScope<'g> {
        SilentScope {
            binders: BTreeMap::new(),
            outer,
        }
    }

    /// Enters the body of `rec var . _` (the node `rec`).
    pub(super) fn bind(&mut self, var: &'g str, rec: &'g GlobalType) {
        self.binders.entry(var).or_default().push(rec);
    }

    /// Leaves the body of the innermost `rec var`.
    pub(super) fn unbind(&mut self, var: &str) {
        if let Some(stack) = self.binders.get_mut(var) {
            stack.pop();
            if stack.is_empty() {
                self.binders.remove(var);
            }
        }
    }

    /// Whether a jump to `var` is silent for role number `role` (`loops`
    /// is known once any binder is in scope).
    pub(super) fn is_silent(
        &self,
        var: &str,
        role: usize,
        loops: Option<&LoopParticipation>,
    ) -> bool {
        match (self.binders.get(var).and_then(|stack| stack.last()), loops) {
            (Some(rec), Some(loops)) => !loops.occurs(rec, role),
            (Some(_), None) => false,
            (None, _) => self.outer.contains(var),
        }
    }

    /// The variables in scope that are silent for role number `role`.
    pub(super) fn silent_vars(
        &self,
        role: usize,
        loops: Option<&LoopParticipation>,
    ) -> BTreeSet<String> {
        let bound = self
            .binders
            .keys()
            .filter(|var| self.is_silent(var, role, loops))
            .map(|var| var.to_string());
        let outer = self
            .outer
            .iter()
            .filter(|var| !self.binders.contains_key(var.as_str()))
            .cloned();
        bound.chain(outer).collect()
    }
}
