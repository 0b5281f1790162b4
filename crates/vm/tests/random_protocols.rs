//! Random multiparty protocols: generate a small global type, project it
//! with a tiny test projector, compile, run with the default handler, and
//! check that everything finishes and every received message equals a sent
//! one in per-edge FIFO order.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use std::collections::BTreeMap;
use telltale_compiler::{CodeImage, Value};
use telltale_types::random::SeededRng;
use telltale_types::{GlobalType, Label, LocalType, PayloadSort, Role};
use telltale_vm::{load_all_roles, Config, DefaultHandler, ObsEvent, RunStatus};

/// Deterministic generator of global types from a seed.
struct Gen {
    rng: SeededRng,
    roles: usize,
    labels: usize,
}

impl Gen {
    fn next(&mut self, n: u64) -> u64 {
        self.rng.below(n.max(1))
    }

    fn role(&self, i: usize) -> Role {
        Role::new(format!("R{i}"))
    }

    fn label(&mut self, suffix: &str) -> Label {
        self.labels += 1;
        let sort = match self.labels % 4 {
            0 => PayloadSort::Unit,
            1 => PayloadSort::Int,
            2 => PayloadSort::Bool,
            _ => PayloadSort::String,
        };
        Label::new(format!("l{}{suffix}", self.labels), sort)
    }

    fn pair(&mut self) -> (usize, usize) {
        let s = self.next(self.roles as u64) as usize;
        let r = (s + 1 + self.next(self.roles as u64 - 1) as usize) % self.roles;
        (s, r)
    }

    /// A choice by `s` to `r` whose branches tell every other role the
    /// chosen label first, so projections merge.
    fn choice(&mut self, s: usize, r: usize, branches: Vec<(Label, GlobalType)>) -> GlobalType {
        let branches = branches
            .into_iter()
            .map(|(label, mut cont)| {
                for other in (0..self.roles).rev() {
                    if other != s && other != r {
                        cont =
                            GlobalType::send(self.role(s), self.role(other), label.clone(), cont);
                    }
                }
                (label, cont)
            })
            .collect::<Vec<_>>();
        GlobalType::choice(self.role(s), self.role(r), branches)
    }

    fn body(&mut self, depth: u32, tail: &dyn Fn() -> GlobalType) -> GlobalType {
        if depth == 0 {
            return tail();
        }
        match self.next(4) {
            0 => tail(),
            1 => {
                let (s, r) = self.pair();
                let a = self.label("a");
                let b = self.label("b");
                let ca = self.body(depth - 1, tail);
                let cb = self.body(depth - 1, tail);
                self.choice(s, r, vec![(a, ca), (b, cb)])
            }
            _ => {
                let (s, r) = self.pair();
                let l = self.label("");
                let cont = self.body(depth - 1, tail);
                GlobalType::send(self.role(s), self.role(r), l, cont)
            }
        }
    }

    fn global(&mut self) -> GlobalType {
        if self.next(2) == 0 {
            return self.body(4, &|| GlobalType::End);
        }
        // A loop: role 0 decides to go round again or stop.
        let again = self.label("again");
        let stop = self.label("stop");
        let round = self.body(3, &|| GlobalType::var("t"));
        let finish = self.body(2, &|| GlobalType::End);
        GlobalType::rec("t", self.choice(0, 1, vec![(again, round), (stop, finish)]))
    }
}

/// Projection with receive-merging, enough for the generated shapes.
fn project(g: &GlobalType, role: &Role) -> LocalType {
    match g {
        GlobalType::End => LocalType::End,
        GlobalType::Var(v) => LocalType::var(v.clone()),
        GlobalType::Rec { var, body } => LocalType::rec(var.clone(), project(body, role)),
        GlobalType::Comm {
            sender,
            receiver,
            branches,
        } => {
            let projected = branches
                .iter()
                .map(|b| (b.label.clone(), project(&b.continuation, role)));
            if sender == role {
                LocalType::select(receiver.clone(), projected)
            } else if receiver == role {
                LocalType::branch(sender.clone(), projected)
            } else {
                let parts: Vec<LocalType> = projected.map(|(_, t)| t).collect();
                merge(parts)
            }
        }
    }
}

fn merge(parts: Vec<LocalType>) -> LocalType {
    let first = parts[0].clone();
    if parts.iter().all(|p| *p == first) {
        return first;
    }
    let mut partner = None;
    let mut branches = Vec::new();
    for p in &parts {
        match p {
            LocalType::Recv {
                partner: q,
                branches: bs,
            } => {
                partner = Some(q.clone());
                for b in bs {
                    if !branches
                        .iter()
                        .any(|(l, _): &(Label, LocalType)| *l == b.label)
                    {
                        branches.push((b.label.clone(), b.continuation.clone()));
                    }
                }
            }
            other => panic!("generator produced an unmergeable projection: {other}"),
        }
    }
    LocalType::branch(partner.unwrap(), branches)
}

type Edge = (u64, u16, u16);

fn per_edge(events: &[ObsEvent], sent: bool) -> BTreeMap<Edge, Vec<(u16, u64, Value)>> {
    let mut map: BTreeMap<Edge, Vec<(u16, u64, Value)>> = BTreeMap::new();
    for e in events {
        let m = match (e, sent) {
            (ObsEvent::Sent(m) | ObsEvent::Offered(m), true)
            | (ObsEvent::Received(m) | ObsEvent::Chose(m), false) => m,
            _ => continue,
        };
        map.entry((m.session, m.from, m.to))
            .or_default()
            .push((m.label, m.seq, m.payload.clone()));
    }
    map
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn projected_protocols_run_to_completion(
        structure in any::<u64>(),
        roles in 2usize..=4,
        seed in any::<u64>(),
    ) {
        let mut generator = Gen {
            rng: SeededRng::new(structure),
            roles,
            labels: 0,
        };
        let global = generator.global();
        let locals: Vec<(Role, LocalType)> = (0..roles)
            .map(|i| {
                let r = generator.role(i);
                let t = project(&global, &r);
                (r, t)
            })
            .collect();
        let config = Config {
            payload_validation_mode: telltale_vm::PayloadValidationMode::StrictSchema,
            ..Config::default()
        };
        let image = CodeImage::build(Some(&global), &locals).unwrap();
        let mut machine = telltale_vm::ProtocolMachine::new(image, config.clone()).unwrap();
        machine.open_all_roles().unwrap();
        machine.open_all_roles().unwrap();
        let status = machine.run(&DefaultHandler::new(seed), 1_000_000).unwrap();
        prop_assert_eq!(status, RunStatus::AllDone, "{}", global);
        let trace = machine.trace();
        let sent = per_edge(&trace, true);
        let received = per_edge(&trace, false);
        prop_assert_eq!(sent, received);
        // The loader helper gives the same single-session behaviour.
        let mut single = load_all_roles(Some(&global), &locals, config).unwrap();
        prop_assert_eq!(single.run(&DefaultHandler::new(seed), 1_000_000).unwrap(), RunStatus::AllDone);
    }
}

#[test]
fn the_generator_produces_non_trivial_protocols() {
    let mut messages = 0;
    let mut loops = 0;
    for structure in 0..50 {
        let mut generator = Gen {
            rng: SeededRng::new(structure),
            roles: 3,
            labels: 0,
        };
        let global = generator.global();
        messages += global.message_count();
        loops += usize::from(matches!(global, GlobalType::Rec { .. }));
    }
    assert!(messages > 100, "{messages}");
    assert!(loops > 10, "{loops}");
}
