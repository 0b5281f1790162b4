//! `src/generated_simulator.rs`: a scripted host with a typed builder per
//! operation, over the machine's `ScriptedHandler`.

use super::{encoder, generated_header, outcome_alias};
use crate::model::{Model, OperationModel, OutcomeShape};
use crate::rust_type::RustType;
use std::fmt::Write;

/// The file's text.
pub(crate) fn emit(model: &Model) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "//! A scripted host for `{file}`: queue what each operation answers, for\n//! tests and simulation.\n//!\n{header}//!\n//! Every answer has one machine behaviour (docs/effects.md, \"Scripted\n//! hosts\"); a call with nothing queued gets a seeded outcome the\n//! operation declares.\n\n",
        file = model.file_name,
        header = generated_header(model, "//!"),
    );
    out.push_str("use crate::generated_effects::*;\n");
    if model
        .effects
        .iter()
        .flat_map(|e| &e.operations)
        .any(|op| payloads_name_opaque(model, op))
    {
        out.push_str("use crate::host_types::*;\n");
    }
    out.push_str("use telltale_vm::host::ScriptedAnswer;\nuse telltale_vm::ScriptedHandler;\n");
    let _ = writeln!(
        out,
        "\n/// A host whose effect answers are scripted per operation (see\n/// [`ScriptOutcomes`]).\n///\n/// To check every run rather than one, explore with it (the\n/// `telltale-explorer` crate):\n/// `telltale_explorer::ScriptedAnswerHost::from_handler(host, &image.effects)`\n/// takes the queued answers in call order and leaves calls with none left\n/// open to every declared outcome (docs/explorer.md, \"Making a host\n/// explorable\").\npub type ScriptedHost = ScriptedHandler;\n\n/// Typed scripts for the operations of `{}`.\npub trait ScriptOutcomes {{",
        model.file_name
    );
    for effect in &model.effects {
        for op in &effect.operations {
            let _ = writeln!(
                out,
                "    /// Queues answers of `{}.{}`.\n    fn {}(&mut self) -> {}<'_>;\n",
                effect.name,
                op.signature,
                builder_method(&effect.name, op),
                builder_type(&effect.name, op)
            );
        }
    }
    trim_blank_line(&mut out);
    out.push_str("}\n\nimpl ScriptOutcomes for ScriptedHandler {\n");
    for effect in &model.effects {
        for op in &effect.operations {
            let _ = writeln!(
                out,
                "    fn {}(&mut self) -> {}<'_> {{\n        {} {{\n            host: self,\n            delay: 0,\n        }}\n    }}\n",
                builder_method(&effect.name, op),
                builder_type(&effect.name, op),
                builder_type(&effect.name, op)
            );
        }
    }
    trim_blank_line(&mut out);
    out.push_str("}\n");
    for effect in &model.effects {
        for op in &effect.operations {
            builder(&mut out, &effect.name, op);
        }
    }
    out
}

/// Removes the blank line left after the last item of a block.
fn trim_blank_line(out: &mut String) {
    if out.ends_with("\n\n") {
        out.pop();
    }
}

/// Whether the builder's signatures name a user-owned type.
fn payloads_name_opaque(model: &Model, op: &OperationModel) -> bool {
    fn names(t: &RustType, model: &Model) -> bool {
        match t {
            RustType::Named(n) => model.opaque.iter().any(|o| &o.rust == n),
            RustType::Tuple(items) => items.iter().any(|i| names(i, model)),
            _ => false,
        }
    }
    match &op.output {
        OutcomeShape::Result { ok, err } => names(ok, model) || names(err, model),
        OutcomeShape::Maybe(t) | OutcomeShape::Option(t) => names(t, model),
        OutcomeShape::Bool | OutcomeShape::Variants(_) => false,
    }
}

fn builder_method(effect: &str, op: &OperationModel) -> String {
    format!(
        "{}_{}",
        telltale_codegen::names::snake_case(effect),
        op.method
    )
}

fn builder_type(effect: &str, op: &OperationModel) -> String {
    format!("{effect}{}Script", op.variant)
}

fn builder(out: &mut String, effect: &str, op: &OperationModel) {
    let ty = builder_type(effect, op);
    let alias = outcome_alias(effect, &op.variant);
    let name = format!("{effect}.{}", op.name);
    let _ = writeln!(
        out,
        r#"
/// Answers of `{name}`, queued in call order.
pub struct {ty}<'h> {{
    host: &'h mut ScriptedHandler,
    delay: u64,
}}

impl {ty}<'_> {{
    fn push(mut self, answer: ScriptedAnswer) -> Self {{
        self.host.push("{name}", answer, self.delay);
        self.delay = 0;
        self
    }}

    /// The next call returns `outcome`.
    pub fn outcome(self, outcome: {alias}) -> Self {{
        self.push(ScriptedAnswer::Outcome({enc}(&outcome)))
    }}
"#,
        enc = encoder(effect, &op.method)
    );
    match &op.output {
        OutcomeShape::Result { ok, err } => {
            let _ = writeln!(
                out,
                "    /// The next call succeeds with `value`.\n    pub fn success(self, value: {ok}) -> Self {{\n        self.outcome(Ok(value))\n    }}\n\n    /// The next call fails with `error`.\n    pub fn error(self, error: {err}) -> Self {{\n        self.outcome(Err(error))\n    }}\n"
            );
        }
        OutcomeShape::Maybe(t) | OutcomeShape::Option(t) => {
            let _ = writeln!(
                out,
                "    /// The next call returns `value`.\n    pub fn success(self, value: {t}) -> Self {{\n        self.outcome(Some(value))\n    }}\n\n    /// The next call returns nothing.\n    pub fn nothing(self) -> Self {{\n        self.outcome(None)\n    }}\n"
            );
        }
        OutcomeShape::Bool | OutcomeShape::Variants(_) => {}
    }
    let _ = writeln!(
        out,
        r#"    /// The next call times out: the `case`'s `Timeout` branch where it has
    /// one, a fault of the performer otherwise.
    pub fn timeout(self) -> Self {{
        self.push(ScriptedAnswer::Timeout)
    }}

    /// The next call is cancelled: like [`Self::timeout`].
    pub fn cancelled(self) -> Self {{
        self.push(ScriptedAnswer::Cancelled)
    }}

    /// The next call's `outcome` arrives after its deadline: it is
    /// discarded (noted in the trace) and the call times out.
    pub fn stale_late_result(self, outcome: {alias}) -> Self {{
        self.push(ScriptedAnswer::StaleLateResult({enc}(&outcome)))
    }}

    /// The next call blocks: the coroutine waits a round and the call is
    /// retried (and gets the answer queued after this one).
    pub fn blocked(self) -> Self {{
        self.push(ScriptedAnswer::Blocked)
    }}

    /// The next call returns `outcome`, noted in the trace as degraded.
    pub fn degraded(self, outcome: {alias}, detail: &str) -> Self {{
        self.push(ScriptedAnswer::Degraded({enc}(&outcome), detail.to_string()))
    }}

    /// The next answer queued arrives `ticks` ticks after its call (the
    /// coroutine waits meanwhile).
    pub fn with_delay(mut self, ticks: u64) -> Self {{
        self.delay = ticks;
        self
    }}
}}"#,
        enc = encoder(effect, &op.method)
    );
}
