//! A checked scenario: what the world runs. [`Plan::parse`] reads the
//! TOML, refuses what serde cannot see (triggers with zero or two
//! conditions, actions missing a key, empty windows, unsupported
//! features), and [`Plan::check_roles`] refuses roles the protocol lacks.

use crate::property::Property;
use crate::scenario::{HandlerKind, MachineSection, NetworkSection, OutputFormat, Scenario};
use crate::scenario_error::{closest, Location, ScenarioError};
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

mod faults;
use faults::{action, budget, trigger};
pub use faults::{Action, Budget, EdgeFilter, FaultPlan, Trigger};

/// A role named in the scenario, with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleRef {
    /// The name.
    pub name: String,
    /// Its byte range in the scenario text.
    pub span: Range<usize>,
}

impl RoleRef {
    fn of(s: &Spanned<String>) -> RoleRef {
        RoleRef {
            name: s.get_ref().clone(),
            span: s.span(),
        }
    }
}

/// A site: an outer role whose effect call runs an inner simulation.
#[derive(Clone, Debug)]
pub struct NestedPlan {
    /// The outer role.
    pub role: RoleRef,
    /// The effect, `Effect.operation`.
    pub effect: String,
    /// The inner scenario file as written (relative to the outer one).
    pub scenario: String,
    /// The inner scenario and its protocol, once loaded.
    pub inner: Option<std::sync::Arc<(Plan, telltale_compiler::CodeImage)>>,
}

/// A byzantine role and its strategy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByzantinePlan {
    /// The role.
    pub role: RoleRef,
    /// What it does.
    pub strategy: Strategy,
}

/// How a byzantine role lies. The first four act through the role's
/// handler, so every message still fits its local type: only the other
/// roles' host logic can defend. `Forge` and `Replay` inject messages
/// into the network that the machine must reject.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strategy {
    /// Different payloads to different peers at the same step.
    Equivocate,
    /// A random payload of the label's sort in every message.
    RandomPayload,
    /// Any branch its type allows at each choice, with a random payload.
    RandomChoice,
    /// Stops sending (its messages never leave); it still receives.
    Silent,
    /// Beside its honest messages, injects messages with a label changed
    /// or a sender claimed that is not its own.
    Forge,
    /// Beside its honest messages, sends one of its earlier messages
    /// again.
    Replay,
}

impl Strategy {
    /// Every strategy, as written in a scenario.
    pub const NAMES: [&'static str; 6] = [
        "equivocate",
        "random_payload",
        "random_choice",
        "silent",
        "forge",
        "replay",
    ];

    /// Whether the strategy injects messages the machine must reject.
    pub fn injects(self) -> bool {
        matches!(self, Strategy::Forge | Strategy::Replay)
    }

    fn parse(name: &str) -> Result<Strategy, String> {
        Ok(match name {
            "equivocate" => Strategy::Equivocate,
            "random_payload" => Strategy::RandomPayload,
            "random_choice" => Strategy::RandomChoice,
            "silent" => Strategy::Silent,
            "forge" => Strategy::Forge,
            "replay" => Strategy::Replay,
            other => {
                let hint = closest(other, Strategy::NAMES)
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                return Err(format!(
                    "`{other}` is not a strategy (strategies: {}){hint}",
                    Strategy::NAMES.join(", ")
                ));
            }
        })
    }

    /// The name a scenario writes.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::Equivocate => "equivocate",
            Strategy::RandomPayload => "random_payload",
            Strategy::RandomChoice => "random_choice",
            Strategy::Silent => "silent",
            Strategy::Forge => "forge",
            Strategy::Replay => "replay",
        }
    }
}

/// A property with where it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PropertyPlan {
    /// The property.
    pub property: Property,
    /// As written (for reports).
    pub text: String,
}

/// The bundled host a scenario asks for (`[handler] kind = "host"`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostChoice {
    /// Its registered name.
    pub name: String,
    /// Its settings, as written.
    pub options: BTreeMap<String, String>,
}

/// A checked scenario.
#[derive(Debug)]
pub struct Plan {
    /// Name.
    pub name: String,
    /// Protocol path as written (relative to the scenario file).
    pub protocol: String,
    /// Role-family sizes.
    pub params: BTreeMap<String, u64>,
    /// The roles to run (all when `None`).
    pub roles: Option<Vec<RoleRef>>,
    /// Most rounds.
    pub steps: u64,
    /// Coroutines per round.
    pub concurrency: usize,
    /// Seed.
    pub seed: u64,
    /// Machine settings.
    pub machine: MachineSection,
    /// Handler kind.
    pub handler: HandlerKind,
    /// Scripted outcomes as `Effect.op=Outcome,...` entries.
    pub script: Vec<String>,
    /// The bundled host (`[handler] kind = "host"`): its name and options.
    pub host: Option<HostChoice>,
    /// Network model.
    pub network: NetworkSection,
    /// Faults.
    pub faults: Vec<FaultPlan>,
    /// Properties.
    pub properties: Vec<PropertyPlan>,
    /// Roles properties judge (when `None`: every role not byzantine).
    pub honest: Option<Vec<RoleRef>>,
    /// Byzantine roles and their strategies.
    pub byzantine: Vec<ByzantinePlan>,
    /// Sites running inner simulations (inner scenarios loaded by
    /// [`crate::load_scenario`]).
    pub nested: Vec<NestedPlan>,
    /// Report format.
    pub output: OutputFormat,
    /// Rounds between two checkpoints (`checkpoint_interval`), when set.
    pub checkpoint_interval: Option<u64>,
    /// Where this run writes its checkpoints and the checkpoint it resumes
    /// from, when a caller attached them (`sim-run` does; see
    /// [`crate::checkpoint::Checkpointing`]).
    pub checkpoints: Option<std::sync::Arc<crate::checkpoint::Checkpointing>>,
    file: String,
    text: String,
}

impl Plan {
    /// Reads and checks a scenario's text; `file` names it in errors.
    pub fn parse(file: &str, text: &str) -> Result<Plan, ScenarioError> {
        let raw: Scenario =
            toml::from_str(text).map_err(|e| ScenarioError::from_toml(file, text, &e))?;
        let at = |span: Range<usize>| Location::of(file, text, span);
        if let Some(interval) = &raw.checkpoint_interval {
            if *interval.get_ref() == 0 {
                return Err(ScenarioError::BadValue {
                    at: at(interval.span()),
                    key: "checkpoint_interval".into(),
                    reason: "must be at least 1 round".into(),
                });
            }
        }
        let mut nested: Vec<NestedPlan> = Vec::new();
        for n in &raw.nested {
            let effect = n.effect.get_ref();
            if !effect
                .split_once('.')
                .is_some_and(|(e, o)| !e.is_empty() && !o.is_empty())
            {
                return Err(ScenarioError::BadValue {
                    at: at(n.effect.span()),
                    key: "effect".into(),
                    reason: format!("`{effect}` is not `Effect.operation`, e.g. `Site.commit`"),
                });
            }
            let role = RoleRef::of(&n.role);
            if nested.iter().any(|x| x.role.name == role.name) {
                return Err(ScenarioError::BadValue {
                    at: at(n.role.span()),
                    key: "role".into(),
                    reason: format!("`{}` is already a site", role.name),
                });
            }
            nested.push(NestedPlan {
                role,
                effect: effect.clone(),
                scenario: n.scenario.get_ref().clone(),
                inner: None,
            });
        }
        let mut byzantine: Vec<ByzantinePlan> = Vec::new();
        for b in &raw.byzantine {
            let role = RoleRef::of(&b.role);
            if byzantine.iter().any(|x| x.role.name == role.name) {
                return Err(ScenarioError::BadValue {
                    at: at(b.role.span()),
                    key: "role".into(),
                    reason: format!("`{}` is already byzantine", role.name),
                });
            }
            let strategy = Strategy::parse(b.strategy.get_ref()).map_err(|reason| {
                ScenarioError::BadValue {
                    at: at(b.strategy.span()),
                    key: "strategy".into(),
                    reason,
                }
            })?;
            byzantine.push(ByzantinePlan { role, strategy });
        }
        let concurrency = *raw.concurrency.get_ref();
        if concurrency == 0 {
            return Err(ScenarioError::BadValue {
                at: at(raw.concurrency.span()),
                key: "concurrency".into(),
                reason: "must be at least 1".into(),
            });
        }
        for link in &raw.network.links {
            if let Some(w) = link.active {
                if w.to_tick <= w.from_tick {
                    return Err(ScenarioError::BadValue {
                        at: at(link.from.span()),
                        key: "active".into(),
                        reason: format!(
                            "the window {}..{} holds no tick (to_tick must be above from_tick)",
                            w.from_tick, w.to_tick
                        ),
                    });
                }
            }
        }
        if raw.handler.kind == HandlerKind::Default && !raw.handler.script.is_empty() {
            return Err(ScenarioError::BadValue {
                at: at(0..0),
                key: "handler.script".into(),
                reason: "a script needs `kind = \"scripted\"`".into(),
            });
        }
        let host = match (raw.handler.kind, &raw.handler.name) {
            (HandlerKind::Host, Some(name)) => Some(HostChoice {
                name: name.clone(),
                options: raw.handler.options.clone(),
            }),
            (HandlerKind::Host, None) => {
                return Err(ScenarioError::BadValue {
                    at: at(0..0),
                    key: "handler.name".into(),
                    reason: "`kind = \"host\"` needs the `name` of a bundled host".into(),
                })
            }
            (_, Some(_)) => {
                return Err(ScenarioError::BadValue {
                    at: at(0..0),
                    key: "handler.name".into(),
                    reason: "a host `name` needs `kind = \"host\"`".into(),
                })
            }
            (_, None) if !raw.handler.options.is_empty() => {
                return Err(ScenarioError::BadValue {
                    at: at(0..0),
                    key: "handler.options".into(),
                    reason: "`options` need `kind = \"host\"`".into(),
                })
            }
            (_, None) => None,
        };
        if raw.handler.kind == HandlerKind::Host && !raw.handler.script.is_empty() {
            return Err(ScenarioError::BadValue {
                at: at(0..0),
                key: "handler.script".into(),
                reason: "a script needs `kind = \"scripted\"`".into(),
            });
        }
        let script = raw
            .handler
            .script
            .iter()
            .map(|(op, outcomes)| format!("{op}={}", outcomes.join(",")))
            .collect();
        let mut faults = Vec::new();
        for event in &raw.events {
            faults.push(FaultPlan {
                trigger: trigger(
                    event.trigger.get_ref(),
                    event.trigger.span(),
                    at(event.trigger.span()),
                )?,
                action: action(event.action.get_ref(), at(event.action.span()))?,
                budget: budget(event.budget.as_ref(), &at)?,
            });
        }
        let mut properties = Vec::new();
        for p in &raw.properties.invariants {
            let property =
                Property::parse(p.get_ref()).map_err(|reason| ScenarioError::Property {
                    at: at(p.span()),
                    text: p.get_ref().clone(),
                    reason,
                })?;
            properties.push(PropertyPlan {
                property,
                text: p.get_ref().clone(),
            });
        }
        // Injected messages must be rejected: checked whenever a role
        // injects, stated or not.
        if byzantine.iter().any(|b| b.strategy.injects())
            && !properties
                .iter()
                .any(|p| p.property == Property::InjectionsRejected)
        {
            properties.push(PropertyPlan {
                property: Property::InjectionsRejected,
                text: "injections_rejected".into(),
            });
        }
        Ok(Plan {
            name: raw.name,
            protocol: raw.protocol.get_ref().clone(),
            params: raw.params,
            roles: raw.roles.map(|r| r.iter().map(RoleRef::of).collect()),
            steps: raw.steps,
            concurrency: usize::try_from(concurrency).unwrap_or(usize::MAX),
            seed: raw.seed,
            machine: raw.machine,
            handler: raw.handler.kind,
            script,
            host,
            network: raw.network,
            faults,
            properties,
            honest: raw
                .properties
                .honest
                .map(|r| r.iter().map(RoleRef::of).collect()),
            byzantine,
            nested,
            output: raw.output.format,
            checkpoint_interval: raw.checkpoint_interval.map(|i| *i.get_ref()),
            checkpoints: None,
            file: file.to_string(),
            text: text.to_string(),
        })
    }

    /// Every role the scenario names, in the order written.
    fn role_refs(&self) -> Vec<RoleRef> {
        let mut out: Vec<RoleRef> = Vec::new();
        out.extend(self.roles.iter().flatten().cloned());
        out.extend(self.nested.iter().map(|n| n.role.clone()));
        for link in &self.network.links {
            out.push(RoleRef::of(&link.from));
            out.push(RoleRef::of(&link.to));
        }
        for f in &self.faults {
            if let Trigger::OnEvent { role: Some(r), .. } = &f.trigger {
                out.push(r.clone());
            }
            match &f.action {
                Action::NodePause { role, .. } | Action::NodeCrash { role, .. } => {
                    out.push(role.clone())
                }
                Action::NetworkPartition { a, b, .. } => {
                    out.extend(a.iter().cloned());
                    out.extend(b.iter().cloned());
                }
                other => {
                    if let Some(filter) = other.edge_filter() {
                        out.extend(filter.from.iter().cloned());
                        out.extend(filter.to.iter().cloned());
                    }
                }
            }
        }
        out.extend(self.honest.iter().flatten().cloned());
        out.extend(self.byzantine.iter().map(|b| b.role.clone()));
        out
    }

    /// Refuses any role name the protocol (with roles `known`) lacks.
    pub fn check_roles(&self, known: &[String]) -> Result<(), ScenarioError> {
        for r in self.role_refs() {
            if !known.contains(&r.name) {
                return Err(ScenarioError::UnknownRole {
                    at: self.locate(r.span.clone()),
                    closest: closest(&r.name, known.iter().map(String::as_str)),
                    role: r.name,
                    roles: known.to_vec(),
                });
            }
        }
        Ok(())
    }

    /// The scenario's text as read (what a checkpoint's scenario hash
    /// covers).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The location of a byte range of the scenario text.
    pub fn locate(&self, span: Range<usize>) -> Location {
        Location::of(&self.file, &self.text, span)
    }
}
