//! The DOT state graph of a lowered global protocol.

use std::collections::BTreeMap;
use std::fmt::Write;
use telltale_types::stack::with_headroom;
use telltale_types::{GlobalType, Label};

fn label_text(label: &Label) -> String {
    if label.sort.is_unit() {
        label.name.to_string()
    } else {
        format!("{}({})", label.name, label.sort)
    }
}

/// A DOT graph: one node per protocol state, one edge per message, back
/// edges for `continue`.
pub fn dot(global: &GlobalType, name: &str) -> String {
    let mut graph = DotGraph {
        lines: Vec::new(),
        next: 0,
        binders: BTreeMap::new(),
    };
    graph.node(global);
    let mut out = format!(
        "digraph \"{}\" {{\n  node [shape=circle];\n",
        name.replace('"', "\\\"")
    );
    for line in graph.lines {
        let _ = writeln!(out, "  {line}");
    }
    out.push_str("}\n");
    out
}

struct DotGraph<'a> {
    lines: Vec<String>,
    next: usize,
    binders: BTreeMap<&'a str, Vec<usize>>,
}

impl<'a> DotGraph<'a> {
    fn fresh(&mut self) -> usize {
        self.next += 1;
        self.next - 1
    }

    /// Emits the state for `global` and returns its node number.
    fn node(&mut self, global: &'a GlobalType) -> usize {
        with_headroom(|| match global {
            GlobalType::Comm {
                sender,
                receiver,
                branches,
            } => {
                let id = self.fresh();
                self.lines.push(format!("{id};"));
                for branch in branches {
                    let target = self.node(&branch.continuation);
                    self.lines.push(format!(
                        "{id} -> {target} [label=\"{sender}->{receiver}: {}\"];",
                        label_text(&branch.label).replace('"', "\\\"")
                    ));
                }
                id
            }
            GlobalType::Rec { var, body } => {
                // The rec node and its body's first state are the same state.
                let id = self.next;
                self.binders.entry(var).or_default().push(id);
                let body_id = self.node(body);
                if let Some(stack) = self.binders.get_mut(var.as_str()) {
                    stack.pop();
                }
                body_id
            }
            GlobalType::Var(var) => match self.binders.get(var.as_str()).and_then(|s| s.last()) {
                Some(&target) => target,
                None => {
                    let id = self.fresh();
                    self.lines
                        .push(format!("{id} [label=\"{var}?\", shape=box];"));
                    id
                }
            },
            GlobalType::End => {
                let id = self.fresh();
                self.lines
                    .push(format!("{id} [shape=doublecircle, label=\"end\"];"));
                id
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> GlobalType {
        GlobalType::rec(
            "t",
            GlobalType::choice(
                "A",
                "B",
                [
                    (
                        Label::unit("more"),
                        GlobalType::send(
                            "B",
                            "A",
                            Label::new("ack", telltale_types::PayloadSort::Int),
                            GlobalType::var("t"),
                        ),
                    ),
                    (Label::unit("stop"), GlobalType::End),
                ],
            ),
        )
    }

    #[test]
    fn dot_has_back_edges() {
        let text = dot(&sample(), "P");
        assert!(
            text.contains("1 -> 0 [label=\"B->A: ack(int)\"];"),
            "{text}"
        );
        assert!(text.contains("0 -> 1 [label=\"A->B: more\"];"), "{text}");
    }
}
