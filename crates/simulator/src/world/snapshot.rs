//! The world as a snapshot, for checkpoints of runs with the built-in
//! handler (`[handler] kind = "default" | "scripted"`, no nested sites):
//! the protocol machine's own checkpoint, the built-in handler's state,
//! the handler wrapper's, and every part of the world that changes while
//! it runs. A resume from it loads the world and goes on with the next
//! round, without running the rounds before it again.

use super::inject::Injector;
use super::{Outcome, World};
use crate::checkpoint::{CheckpointError, Checkpointing};
use crate::error::SimError;
use crate::fault_schedule::Seen;
use crate::monitor::PropertyMonitor;
use crate::network_model::NetworkModel;
use crate::plan::Plan;
use crate::report::NetworkStats;
use crate::sim_handler::{HandlerState, SimHandler};
use crate::sim_trace::{SimTrace, TraceState};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use telltale_compiler::{CodeImage, RoleId};
use telltale_types::random::SeededRng;
use telltale_vm::{ChoiceVisits, DefaultHandler, EffectScript, ProtocolMachine, SessionId};

/// The world at the end of a round. Generic over how its large parts are
/// held, so that one definition (one field order, which postcard relies
/// on) serves both writing (borrowed) and reading (owned).
#[derive(Serialize, Deserialize)]
struct Snapshot<Net, Mon, Inj> {
    round: u64,
    /// `telltale_vm::Checkpoint` bytes.
    machine: Vec<u8>,
    session: SessionId,
    host_seed: u64,
    free_iterations: u64,
    visits: Vec<ChoiceVisits>,
    script_calls: BTreeMap<u16, usize>,
    handler: HandlerState,
    rng: u64,
    network: Net,
    /// Per scheduled fault: when it fired, and whether it is armed.
    faults: Vec<(Vec<u64>, bool)>,
    monitor: Mon,
    trace: TraceState,
    stats: NetworkStats,
    seen_steps: u64,
    seen_events: BTreeSet<String>,
    crashed: BTreeSet<RoleId>,
    paused: BTreeMap<RoleId, u64>,
    heal_at: Option<u64>,
    timeout_at: u64,
    quiet_since: u64,
    injector: Inj,
}

type Written<'a> = Snapshot<&'a NetworkModel, &'a PropertyMonitor, &'a Injector>;
type Read = Snapshot<NetworkModel, PropertyMonitor, Injector>;

impl World<'_> {
    /// The world's snapshot at the end of round `tick`, when its host is
    /// the built-in one (`None` otherwise: such runs resume by running
    /// again).
    pub(super) fn snapshot(&self, tick: u64) -> Option<Result<Vec<u8>, CheckpointError>> {
        let host = self.builtin?;
        let machine = match self.machine.checkpoint() {
            Ok(c) => c.to_bytes(),
            Err(e) => return Some(Err(CheckpointError::Encode(format!("the machine: {e}")))),
        };
        let snapshot: Written<'_> = Snapshot {
            round: tick,
            machine,
            session: self.session,
            host_seed: host.seed(),
            free_iterations: host.free_iterations(),
            visits: host.choice_visits(),
            script_calls: host.script_calls(),
            handler: self.handler.state(),
            rng: self.rng.state(),
            network: &self.network,
            faults: self
                .schedule
                .faults
                .iter()
                .map(|f| (f.fired.clone(), f.armed))
                .collect(),
            monitor: &self.monitor,
            trace: self.trace.state(),
            stats: self.stats.clone(),
            seen_steps: self.seen.steps,
            seen_events: self.seen.events.clone(),
            crashed: self.crashed.clone(),
            paused: self.paused.clone(),
            heal_at: self.heal_at,
            timeout_at: self.timeout_at,
            quiet_since: self.quiet_since,
            injector: &self.injector,
        };
        Some(
            postcard::to_allocvec(&snapshot)
                .map_err(|e| CheckpointError::Encode(format!("the world: {e}"))),
        )
    }

    /// Puts the world in the state of `snapshot` (its machine and host are
    /// already the snapshot's).
    fn resume_state(&mut self, snapshot: Read) -> Result<(), CheckpointError> {
        if snapshot.faults.len() != self.schedule.faults.len() {
            return Err(CheckpointError::Decode(format!(
                "the world has {} scheduled faults, the scenario {}",
                snapshot.faults.len(),
                self.schedule.faults.len()
            )));
        }
        for (fault, (fired, armed)) in self.schedule.faults.iter_mut().zip(snapshot.faults) {
            fault.fired = fired;
            fault.armed = armed;
        }
        self.handler.resume_state(snapshot.handler);
        self.rng = SeededRng::new(snapshot.rng);
        self.network.resume_state(snapshot.network);
        self.monitor.resume_state(snapshot.monitor);
        self.trace = SimTrace::resume(snapshot.trace).map_err(CheckpointError::Decode)?;
        self.stats = snapshot.stats;
        self.seen = Seen {
            steps: snapshot.seen_steps,
            events: snapshot.seen_events,
        };
        self.crashed = snapshot.crashed;
        self.paused = snapshot.paused;
        self.heal_at = snapshot.heal_at;
        self.timeout_at = snapshot.timeout_at;
        self.quiet_since = snapshot.quiet_since;
        self.injector.resume_state(snapshot.injector);
        Ok(())
    }
}

/// Continues a run of the built-in handler from the world snapshot `bytes`
/// of the checkpoint `checkpoints` resumes from: restores the machine, the
/// handler and the world, checks the restored world against the
/// checkpoint's fingerprints, and runs the rounds after it.
pub(super) fn resume_builtin(
    plan: &Plan,
    image: &CodeImage,
    seed: u64,
    script: EffectScript,
    checkpoints: &Checkpointing,
    bytes: &[u8],
) -> Result<Outcome, SimError> {
    let refused = |what: String| checkpoints.resume_error(CheckpointError::Decode(what));
    let snapshot: Read =
        postcard::from_bytes(bytes).map_err(|e| refused(format!("the world: {e}")))?;
    let machine = telltale_vm::Checkpoint::from_bytes(&snapshot.machine)
        .and_then(|c| ProtocolMachine::restore(&c))
        .map_err(|e| refused(format!("the machine: {e}")))?;
    if machine.image() != image {
        return Err(refused(
            "the machine runs another protocol than the scenario's".into(),
        ));
    }
    let round = snapshot.round;
    if checkpoints.resume_round() != Some(round) {
        return Err(refused(format!(
            "the world is of round {round}, the checkpoint of round {}",
            checkpoints.resume_round().unwrap_or(0)
        )));
    }
    let host = DefaultHandler::resumed(
        snapshot.host_seed,
        snapshot.free_iterations,
        &snapshot.visits,
    )
    .with_effect_script(script)
    .with_script_calls(snapshot.script_calls.clone());
    let session = snapshot.session;
    let mut world = World::new(
        plan,
        machine,
        session,
        SimHandler::new(&host),
        SeededRng::new(snapshot.rng),
        None,
    );
    world.builtin = Some(&host);
    checkpoints.note_loaded();
    world
        .resume_state(snapshot)
        .map_err(|e| checkpoints.resume_error(e))?;
    // The restored world must be the one the checkpoint fingerprinted.
    let state = world
        .round_state(round)
        .and_then(|state| world.snapshot(round).transpose().map(|w| (state, w)));
    if !checkpoints.at_round(state) {
        checkpoints.finish(round)?;
    }
    world.run_checked_from(plan, seed, round)
}
