//! A checkpoint whose world was altered (its digest recomputed, so only
//! decoding and the restored world's checks stand between it and the run)
//! is refused with an error or resumes to some run: it never panics.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use std::path::{Path, PathBuf};
use telltale_simulator::checkpoint::{Checkpointing, SimCheckpoint};
use telltale_simulator::{load_scenario, HostRegistry};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// A run of the lossy token ring with a checkpoint at round 40: the
/// scenario, and the checkpoint's bytes.
fn setup(dir: &Path) -> (PathBuf, Vec<u8>) {
    std::fs::copy(
        examples().join("token_ring.tell"),
        dir.join("token_ring.tell"),
    )
    .unwrap();
    let text =
        std::fs::read_to_string(examples().join("scenarios/token_ring_loss_duplication.toml"))
            .unwrap()
            .replace("\"../token_ring.tell\"", "\"token_ring.tell\"")
            .replace(
                "\nsteps = 1000\n",
                "\nsteps = 1000\ncheckpoint_interval = 40\n",
            );
    let scenario = dir.join("s.toml");
    std::fs::write(&scenario, &text).unwrap();
    let (mut plan, image) = load_scenario(&text, &scenario).unwrap();
    let seed = plan.seed;
    Checkpointing::attach(&mut plan, &image, seed, &dir.join("ck"), None).unwrap();
    HostRegistry::new().run_plan(&plan, &image, seed).unwrap();
    let first = plan.checkpoints.as_ref().unwrap().written()[0].clone();
    (scenario, std::fs::read(first).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn an_altered_world_is_an_error_or_a_run_never_a_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<Option<prop::sample::Index>>(),
    ) {
        let dir = std::env::temp_dir().join(format!("sim-ckpt-damage-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (scenario, bytes) = setup(&dir);
        let mut checkpoint = SimCheckpoint::from_bytes(&bytes).unwrap();
        let world = checkpoint.world.as_mut().unwrap();
        for (at, value) in &edits {
            let i = at.index(world.len());
            world[i] ^= value | 1;
        }
        if let Some(cut) = cut {
            let keep = cut.index(world.len());
            world.truncate(keep);
        }
        let altered = dir.join("altered.ttsc");
        std::fs::write(&altered, checkpoint.to_bytes().unwrap()).unwrap();
        let text = std::fs::read_to_string(&scenario).unwrap();
        let (mut plan, image) = load_scenario(&text, &scenario).unwrap();
        let seed = plan.seed;
        Checkpointing::attach(&mut plan, &image, seed, &dir.join("again"), Some(&altered)).unwrap();
        // Either outcome is fine; returning at all is the property.
        let _ = HostRegistry::new().run_plan(&plan, &image, seed);
    }
}
