//! The files that make the output a crate: `Cargo.toml`, `src/lib.rs` and
//! `src/host_types.rs` (written once, then yours), and `README.md`.

use super::generated_header;
use crate::model::Model;
use std::fmt::Write;

/// `Cargo.toml`: a crate of its own that depends on the machine by path.
pub(crate) fn cargo_toml(model: &Model, telltale: &str) -> String {
    format!(
        r#"# The host crate of `{file}`, written by `tell scaffold` once: yours to
# edit (generating again never overwrites it).
[package]
name = "{package}"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
telltale-vm = {{ path = "{telltale}/crates/vm" }}

# A workspace of its own, even when generated inside another one.
[workspace]
"#,
        file = model.file_name,
        package = model.crate_name.replace('_', "-"),
    )
}

/// `src/lib.rs`: the modules, re-exported.
pub(crate) fn lib_rs(model: &Model, simulator: bool) -> String {
    let mut out = format!(
        "//! The host of `{}`: the generated interface, the payload types you\n//! own, and your implementations of the host traits.\n//!\n//! Written by `tell scaffold` once: yours to edit.\n\npub mod generated_effects;\n",
        model.file_name
    );
    if simulator {
        out.push_str("pub mod generated_simulator;\n");
    }
    out.push_str("pub mod host_types;\n\npub use generated_effects::*;\n");
    if simulator {
        out.push_str("pub use generated_simulator::*;\n");
    }
    out.push_str("pub use host_types::*;\n");
    out
}

/// `src/host_types.rs`: a placeholder per named payload type.
pub(crate) fn host_types(model: &Model) -> String {
    let mut out = format!(
        "//! The named payload types of `{}` that your program owns.\n//!\n//! Written by `tell scaffold` once and never overwritten: replace each\n//! placeholder with your own type, keeping its `HostValue` impl (how it\n//! crosses the machine boundary) and `Default` (the smoke tests use it).\n",
        model.file_name
    );
    if model.opaque.is_empty() {
        return out;
    }
    out.push_str("\nuse telltale_vm::host::HostValue;\nuse telltale_vm::Value;\n");
    for o in &model.opaque {
        let _ = writeln!(
            out,
            r#"
/// `{path}`: a placeholder that holds the machine value as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct {name}(pub Value);

impl HostValue for {name} {{
    fn to_value(&self) -> Value {{
        self.0.clone()
    }}

    fn from_value(value: &Value) -> Result<Self, String> {{
        Ok({name}(value.clone()))
    }}
}}"#,
            path = o.path,
            name = o.rust
        );
    }
    out
}

/// `README.md`: what was generated and what to do next.
pub(crate) fn readme(model: &Model, simulator: bool, sizes: &str) -> String {
    let traits: Vec<String> = model
        .effects
        .iter()
        .map(|e| format!("`{}Host`", e.name))
        .collect();
    let mut out = String::new();
    let _ = write!(
        out,
        r#"# Host crate for `{file}`

{header}
## What is here

| file | what it is | yours? |
|---|---|---|
| `src/generated_effects.rs` | declared types; per effect a request enum, outcome types and a host trait ({traits}); `HostAdapter`, which runs a host on the protocol machine; `PROTOCOLS` and `protocol_image` | generated |
"#,
        file = model.file_name,
        header = generated_header(model, ">").trim_end(),
        traits = traits.join(", "),
    );
    if simulator {
        out.push_str("| `src/generated_simulator.rs` | `ScriptedHost` and a typed script per operation: `success`, `error`, `timeout`, `cancelled`, `stale_late_result`, `blocked`, `degraded`, `with_delay` | generated |\n");
    }
    let _ = write!(
        out,
        r#"| `tests/vm_smoke.rs` | every protocol on the machine, with the adapter and once per outcome path, each run replayed | generated |
| `effects_manifest.json` | the effects, their operations and sorts, and which protocols and roles perform them | generated |
| `images/*.json` | the protocols compiled for the machine (family sizes {sizes}) | generated |
| `src/host_types.rs` | a placeholder per named payload type | yours (written once) |
| `src/lib.rs`, `Cargo.toml` | the crate | yours (written once) |

## Next steps

1. `cargo test` here: the smoke tests pass as generated.
2. Replace the placeholders in `src/host_types.rs` with your own types.
3. Implement {traits} for your host, then run it:

   ```rust,ignore
   let adapter = HostAdapter::new(MyHost::default());
   let mut machine = telltale_vm::load_image_all_roles(protocol_image("...")?, Default::default())?;
   machine.run(&adapter, 100_000)?;
   ```

   Host methods take `&mut self` and must be deterministic, atomic (an
   answer that fails leaves no partial state) and isolated (no state shared
   outside the host) for record/replay to hold; `ready` answers `Blocked`,
   `TimedOut`, `Cancelled` or `Failed` instead of an outcome.
4. Script hosts for tests and simulation with `ScriptedHost` (for example
   `host.ledger_append().success(receipt).timeout()`), and record and replay
   runs with `telltale_vm::run_record_replay_conformance_with_hosts`.
5. Check every run, not one: explore with a scripted host
   (`telltale_explorer::ScriptedAnswerHost::from_handler(host, &image.effects)`
   in a `telltale_explorer::ProtocolModel`): queued answers are taken in
   call order, calls with none left are open to every declared outcome.

When the `.tell` file changes, generate again with `--force`: generated
files are replaced, yours are kept.
"#,
        traits = traits.join(", "),
    );
    out
}
