//! `tests/vm_smoke.rs`: every protocol of the file on the machine, through
//! the generated adapter and once per outcome path, each run checked to
//! replay identically.

use super::{generated_header, outcome_alias};
use crate::model::{Model, OutcomeShape};
use std::fmt::Write;

/// The file's text.
pub(crate) fn emit(model: &Model, simulator: bool) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        r#"//! Runs every protocol of `{file}` on the protocol machine: with the
//! generated adapter, then with the scripted host once per outcome path
//! (each operation answering each outcome it declares, then timing out),
//! and checks that every run replays identically from its recording.
//!
{header}
use {krate}::*;
use telltale_vm::host::{{variant, ScriptedAnswer}};
use telltale_vm::{{
    load_image_all_roles, run_record_replay_conformance_with_hosts, Config, EffectHandler,
    ProtocolMachineError, RunStatus, ScriptedHandler, Value,
}};

/// More rounds than any run of these protocols takes.
const MAX_ROUNDS: usize = 100_000;

/// Answers queued per scripted operation: more than any run asks for.
const ANSWERS: usize = 64;

/// Runs protocol `name` under a recording of `host`, replays the recording
/// (with `replaying` observing), and returns how the run ended; panics if
/// the replay differs.
fn run_and_replay(
    name: &str,
    host: &dyn EffectHandler,
    replaying: &dyn EffectHandler,
) -> Result<RunStatus, ProtocolMachineError> {{
    let make = || {{
        let image = protocol_image(name).unwrap_or_else(|e| panic!("{{e}}"));
        load_image_all_roles(image, Config::default())
    }};
    match run_record_replay_conformance_with_hosts(&make, host, replaying, MAX_ROUNDS) {{
        Ok(report) => report.outcome,
        Err(e) => panic!("{{name}}: the replay differs from the run: {{e}}"),
    }}
}}

/// A host that answers every operation with a default value of its first
/// outcome: the generated adapter's path.
struct SampleHost;
"#,
        file = model.file_name,
        header = generated_header(model, "//!").trim_end(),
        krate = model.crate_name,
    );
    for effect in &model.effects {
        let _ = writeln!(out, "\nimpl {}Host for SampleHost {{", effect.name);
        for (i, op) in effect.operations.iter().enumerate() {
            let alias = outcome_alias(&effect.name, &op.variant);
            let params = if op.input.is_unit() {
                String::new()
            } else {
                format!(", _{}: {}", op.argument, op.input)
            };
            let value = match &op.output {
                OutcomeShape::Result { .. } => "Ok(Default::default())",
                OutcomeShape::Maybe(_) | OutcomeShape::Option(_) => "Some(Default::default())",
                OutcomeShape::Bool | OutcomeShape::Variants(_) => "Default::default()",
            };
            if i > 0 {
                out.push('\n');
            }
            let _ = writeln!(
                out,
                "    fn {}(&mut self{params}) -> {alias} {{\n        {value}\n    }}",
                op.method
            );
        }
        out.push_str("}\n");
    }
    out.push_str(
        r#"
#[test]
fn every_protocol_runs_with_the_generated_adapter() {
    for (name, _) in PROTOCOLS {
        let host = HostAdapter::new(SampleHost);
        let outcome = run_and_replay(name, &host, &ScriptedHandler::new(1));
        assert_eq!(outcome, Ok(RunStatus::AllDone), "{name}");
    }
}

#[test]
fn every_outcome_path_runs_and_replays() {
    for (name, _) in PROTOCOLS {
        let image = protocol_image(name).unwrap_or_else(|e| panic!("{e}"));
        let effects = &image.effects;
        for op in &effects.operations {
            let key = format!("{}.{}", op.effect, op.name);
            for declared in &op.outcomes {
                let answer = variant(&declared.constructor, Value::default_for(&declared.payload));
                let mut host = ScriptedHandler::new(0);
                for _ in 0..ANSWERS {
                    host.push(&key, ScriptedAnswer::Outcome(answer.clone()), 0);
                }
                let outcome = run_and_replay(name, &host, &ScriptedHandler::new(1));
                let path = &declared.constructor;
                assert_eq!(outcome, Ok(RunStatus::AllDone), "{name}: {key} answering {path}");
            }
            // Giving up takes the `Timeout` branch where every site has
            // one, and faults the performer where none has.
            let sites: Vec<_> = effects
                .sites
                .iter()
                .filter(|s| effects.operation_of(s) == Some(op))
                .collect();
            let mut host = ScriptedHandler::new(0);
            for _ in 0..ANSWERS {
                host.push(&key, ScriptedAnswer::Timeout, 0);
            }
            let outcome = run_and_replay(name, &host, &ScriptedHandler::new(1));
            if sites.iter().all(|s| s.handles_timeout()) {
                assert_eq!(outcome, Ok(RunStatus::AllDone), "{name}: {key} timing out");
            } else if sites.iter().all(|s| !s.handles_timeout()) {
                assert!(
                    matches!(outcome, Err(ProtocolMachineError::Fault { .. })),
                    "{name}: {key} timing out without a Timeout branch: {outcome:?}"
                );
            }
        }
    }
}

#[test]
fn blocked_delayed_and_degraded_answers_complete_and_replay() {
    for (name, _) in PROTOCOLS {
        let image = protocol_image(name).unwrap_or_else(|e| panic!("{e}"));
        for op in &image.effects.operations {
            let key = format!("{}.{}", op.effect, op.name);
            let Some(first) = op.outcomes.first() else {
                continue;
            };
            let answer = variant(&first.constructor, Value::default_for(&first.payload));
            let mut host = ScriptedHandler::new(0);
            for _ in 0..ANSWERS {
                host.push(&key, ScriptedAnswer::Blocked, 0);
                host.push(&key, ScriptedAnswer::Outcome(answer.clone()), 2);
                host.push(&key, ScriptedAnswer::Degraded(answer.clone(), "scripted".into()), 0);
            }
            let outcome = run_and_replay(name, &host, &ScriptedHandler::new(1));
            assert_eq!(outcome, Ok(RunStatus::AllDone), "{name}: {key}");
        }
    }
}
"#,
    );
    if simulator {
        typed_scripts(&mut out, model);
    }
    out
}

/// A test that drives every typed builder once, so the generated scripts
/// compile and run.
fn typed_scripts(out: &mut String, model: &Model) {
    out.push_str(
        "\n#[test]\nfn typed_scripts_queue_every_kind_of_answer() {\n    let mut host = ScriptedHost::new(0);\n",
    );
    for effect in &model.effects {
        for op in &effect.operations {
            let method = format!(
                "{}_{}",
                telltale_codegen::names::snake_case(&effect.name),
                op.method
            );
            let (first, sample) = match &op.output {
                OutcomeShape::Result { .. } => {
                    (".success(Default::default())", "Ok(Default::default())")
                }
                OutcomeShape::Maybe(_) | OutcomeShape::Option(_) => {
                    (".success(Default::default())", "Some(Default::default())")
                }
                OutcomeShape::Bool | OutcomeShape::Variants(_) => {
                    (".outcome(Default::default())", "Default::default()")
                }
            };
            let _ = writeln!(
                out,
                "    host.{method}()\n        .with_delay(2)\n        {first}\n        .blocked()\n        .degraded({sample}, \"scripted\")\n        .stale_late_result({sample})\n        .cancelled()\n        .timeout();\n    assert_eq!(host.remaining(\"{}.{}\"), 6);",
                effect.name, op.name
            );
        }
    }
    out.push_str(
        "    for (name, _) in PROTOCOLS {\n        let outcome = run_and_replay(name, &host, &ScriptedHandler::new(1));\n        // The script ends in timeouts, which fault where no `Timeout` branch\n        // catches them: either way the run replays.\n        let _ = outcome;\n    }\n}\n",
    );
}
