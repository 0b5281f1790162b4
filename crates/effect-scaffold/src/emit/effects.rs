//! `src/generated_effects.rs`: declared types, per effect a request enum,
//! outcome types and a host trait, and the adapter that runs a host on the
//! protocol machine.

use super::{encoder, generated_header, outcome_alias};
use crate::model::{DeclaredKind, DeclaredType, Model, OutcomeShape};
use std::fmt::Write;

/// The file's text.
pub(crate) fn emit(model: &Model, protocols: &[(String, String)]) -> String {
    let mut body = String::new();
    for declared in &model.declared {
        declared_type(&mut body, declared);
    }
    for effect in &model.effects {
        effect_items(&mut body, model, effect);
    }
    host_trait_and_adapter(&mut body, model);
    protocol_images(&mut body, model, protocols);

    let mut out = String::new();
    let header = generated_header(model, "//!");
    let _ = write!(
        out,
        "//! The host interface of the effects declared in `{file}`.\n//!\n{header}//!\n//! Implement one trait per effect ({traits}) and run your host on the\n//! protocol machine with [`HostAdapter`]. The named payload types you own\n//! live in `host_types.rs`.\n\n",
        file = model.file_name,
        traits = model
            .effects
            .iter()
            .map(|e| format!("[`{}Host`]", e.name))
            .collect::<Vec<_>>()
            .join(", "),
    );
    if !model.opaque.is_empty() {
        out.push_str("use crate::host_types::*;\n");
    }
    out.push_str("use std::cell::{Ref, RefCell};\n");
    out.push_str("use telltale_vm::host::{HostFailure, HostValue};\n");
    out.push_str("use telltale_vm::{\n    AcquireDecision, AcquireInput, ChooseInput, CodeImage, DefaultHandler, EffectCall, EffectError,\n    EffectErrorCategory, EffectHandler, InvokeInput, JoinInput, LabelId, OutputConditionHint,\n    OutputHintInput, RecvInput, ReleaseInput, SendDecision, SendDecisionInput, TopologyEvent,\n    TopologyInput, Value,\n};\n");
    out.push_str(&body);
    out
}

fn declared_type(out: &mut String, declared: &DeclaredType) {
    let name = &declared.name;
    let _ = writeln!(out, "\n/// `{}`", declared.written);
    match &declared.kind {
        DeclaredKind::Alias(t) => {
            let _ = writeln!(out, "pub type {name} = {t};");
        }
        DeclaredKind::Record(fields) => {
            let _ = writeln!(
                out,
                "#[derive(Clone, Debug, Default, PartialEq)]\npub struct {name} {{"
            );
            for (field, t) in fields {
                let _ = writeln!(out, "    /// `{field}`.\n    pub {field}: {t},");
            }
            out.push_str("}\n");
            let _ = writeln!(out, "\nimpl HostValue for {name} {{\n    fn to_value(&self) -> Value {{\n        Value::record([");
            for (field, _) in fields {
                let _ = writeln!(out, "            (\"{field}\", self.{field}.to_value()),");
            }
            let _ = writeln!(out, "        ])\n    }}\n\n    fn from_value(value: &Value) -> Result<Self, String> {{\n        Ok({name} {{");
            for (field, _) in fields {
                let _ = writeln!(
                    out,
                    "            {field}: HostValue::from_value(telltale_vm::host::record_field(value, \"{field}\")?)?,"
                );
            }
            out.push_str("        })\n    }\n}\n");
        }
        DeclaredKind::Variants(variants) => {
            out.push_str("#[derive(Clone, Debug, PartialEq)]\n");
            let _ = writeln!(out, "pub enum {name} {{");
            for (variant, items) in variants {
                let _ = writeln!(out, "    /// `{variant}`.");
                if items.is_empty() {
                    let _ = writeln!(out, "    {variant},");
                } else {
                    let items: Vec<String> = items.iter().map(ToString::to_string).collect();
                    let _ = writeln!(out, "    {variant}({}),", items.join(", "));
                }
            }
            out.push_str("}\n");
            if let Some((first, items)) = variants.first() {
                let value = if items.is_empty() {
                    format!("{name}::{first}")
                } else {
                    let defaults = vec!["Default::default()"; items.len()].join(", ");
                    format!("{name}::{first}({defaults})")
                };
                let _ = writeln!(
                    out,
                    "\nimpl Default for {name} {{\n    fn default() -> Self {{\n        {value}\n    }}\n}}"
                );
            }
            let _ = writeln!(out, "\nimpl HostValue for {name} {{\n    fn to_value(&self) -> Value {{\n        match self {{");
            for (variant, items) in variants {
                let binders: Vec<String> = (0..items.len()).map(|i| format!("v{i}")).collect();
                let payload = match binders.as_slice() {
                    [] => "Value::Unit".to_string(),
                    [one] => format!("{one}.to_value()"),
                    many => format!(
                        "Value::product([{}])",
                        many.iter()
                            .map(|b| format!("{b}.to_value()"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                };
                let pattern = if binders.is_empty() {
                    format!("{name}::{variant}")
                } else {
                    format!("{name}::{variant}({})", binders.join(", "))
                };
                if binders.is_empty() {
                    let _ = writeln!(
                        out,
                        "            {pattern} => Value::string(\"{variant}\"),"
                    );
                } else {
                    let _ = writeln!(
                        out,
                        "            {pattern} => telltale_vm::host::variant(\"{variant}\", {payload}),"
                    );
                }
            }
            let payload = if variants.iter().any(|(_, items)| !items.is_empty()) {
                "payload"
            } else {
                "_"
            };
            let _ = writeln!(
                out,
                "        }}\n    }}\n\n    fn from_value(value: &Value) -> Result<Self, String> {{\n        let (variant, {payload}) = telltale_vm::host::variant_parts(value)?;\n        match variant {{"
            );
            let names: Vec<&str> = variants.iter().map(|(v, _)| v.as_str()).collect();
            for (variant, items) in variants {
                match items.len() {
                    0 => {
                        let _ =
                            writeln!(out, "            \"{variant}\" => Ok({name}::{variant}),");
                    }
                    1 => {
                        let _ = writeln!(
                            out,
                            "            \"{variant}\" => Ok({name}::{variant}(HostValue::from_value(payload)?)),"
                        );
                    }
                    n => {
                        let binders: Vec<String> = (0..n).map(|i| format!("v{i}")).collect();
                        let _ = writeln!(
                            out,
                            "            \"{variant}\" => {{\n                let ({b},) = HostValue::from_value(payload)?;\n                Ok({name}::{variant}({b}))\n            }}",
                            b = binders.join(", ")
                        );
                    }
                }
            }
            let _ = writeln!(
                out,
                "            other => Err(format!(\"`{{other}}` is not a variant of {name} ({})\")),\n        }}\n    }}\n}}",
                names.join(", ")
            );
        }
    }
}

fn effect_items(out: &mut String, model: &Model, effect: &crate::model::EffectModel) {
    let e = &effect.name;
    let _ = writeln!(
        out,
        "\n/// A call of an operation of `{e}`, with its argument.\n#[derive(Clone, Debug, PartialEq)]\npub enum {e}Request {{"
    );
    for op in &effect.operations {
        let _ = writeln!(out, "    /// `{}`", op.signature);
        if op.input.is_unit() {
            let _ = writeln!(out, "    {},", op.variant);
        } else {
            let _ = writeln!(out, "    {}({}),", op.variant, op.input);
        }
    }
    out.push_str("}\n");
    for op in &effect.operations {
        let alias = outcome_alias(e, &op.variant);
        let cases = super::constructors(model, &op.output)
            .iter()
            .map(|(c, t)| {
                if t.is_unit() {
                    format!("`{c}`")
                } else {
                    format!("`{c}({t})`")
                }
            })
            .collect::<Vec<_>>()
            .join(" or ");
        let _ = writeln!(
            out,
            "\n/// What `{e}.{}` returns: {cases}.\npub type {alias} = {};",
            op.name,
            op.output.rust()
        );
        let body = match &op.output {
            OutcomeShape::Result { .. } => "telltale_vm::host::encode_result(outcome)".to_string(),
            OutcomeShape::Maybe(_) => "telltale_vm::host::encode_maybe(outcome)".to_string(),
            OutcomeShape::Option(_) => "match outcome {\n        Some(v) => telltale_vm::host::variant(\"Some\", v.to_value()),\n        None => telltale_vm::host::variant(\"None\", Value::Unit),\n    }".to_string(),
            OutcomeShape::Bool => "telltale_vm::host::variant(if *outcome { \"True\" } else { \"False\" }, Value::Unit)".to_string(),
            OutcomeShape::Variants(_) => "telltale_vm::host::as_outcome(outcome.to_value())".to_string(),
        };
        let _ = writeln!(
            out,
            "\n/// An outcome of `{e}.{}` as the machine carries it.\npub fn {}(outcome: &{alias}) -> Value {{\n    {body}\n}}",
            op.name,
            encoder(e, &op.method)
        );
    }
    let _ = writeln!(
        out,
        "\n/// The host's side of `{e}`: implement it, and run the host with\n/// [`HostAdapter`]. Methods take `&mut self`; the adapter keeps the host in\n/// a `RefCell` for the machine's `&self` callbacks.\npub trait {e}Host {{"
    );
    for op in &effect.operations {
        let alias = outcome_alias(e, &op.variant);
        let params = if op.input.is_unit() {
            String::new()
        } else {
            format!(", {}: {}", op.argument, op.input)
        };
        let _ = writeln!(
            out,
            "    /// `{}`\n    fn {}(&mut self{params}) -> {alias};\n",
            op.signature, op.method
        );
    }
    let _ = writeln!(
        out,
        "    /// Asked before each operation of `{e}`: `Err` answers instead of\n    /// the operation (`Blocked`: retried next round; `TimedOut` or\n    /// `Cancelled`: the `case`'s `Timeout` branch, or a fault; `Failed`: a\n    /// fault). Default: always ready.\n    fn ready(&mut self, request: &{e}Request) -> Result<(), HostFailure> {{\n        let _ = request;\n        Ok(())\n    }}\n}}"
    );
    let _ = writeln!(
        out,
        "\nimpl {e}Request {{\n    /// Reads a call of `operation` with `argument`, as the machine makes it.\n    pub fn decode(operation: &str, argument: &Value) -> Result<Self, String> {{"
    );
    if effect.operations.iter().all(|op| op.input.is_unit()) {
        // No operation reads it: say so, or the generated crate warns.
        let _ = writeln!(out, "        let _ = argument;");
    }
    let _ = writeln!(out, "        match operation {{");
    for op in &effect.operations {
        if op.input.is_unit() {
            let _ = writeln!(
                out,
                "            \"{}\" => Ok({e}Request::{}),",
                op.name, op.variant
            );
        } else {
            let _ = writeln!(
                out,
                "            \"{}\" => Ok({e}Request::{}(HostValue::from_value(argument)?)),",
                op.name, op.variant
            );
        }
    }
    let _ = writeln!(
        out,
        "            other => Err(format!(\"`{e}` has no operation `{{other}}`\")),\n        }}\n    }}\n\n    /// Performs the call on `host` and encodes its outcome.\n    pub fn perform<H: {e}Host + ?Sized>(self, host: &mut H) -> Result<Value, HostFailure> {{\n        host.ready(&self)?;\n        Ok(match self {{"
    );
    for op in &effect.operations {
        let enc = encoder(e, &op.method);
        if op.input.is_unit() {
            let _ = writeln!(
                out,
                "            {e}Request::{} => {enc}(&host.{}()),",
                op.variant, op.method
            );
        } else {
            let _ = writeln!(
                out,
                "            {e}Request::{}({arg}) => {enc}(&host.{}({arg})),",
                op.variant,
                op.method,
                arg = op.argument
            );
        }
    }
    out.push_str("        })\n    }\n}\n");
}

fn host_trait_and_adapter(out: &mut String, model: &Model) {
    let bounds: Vec<String> = model
        .effects
        .iter()
        .map(|e| format!("{}Host", e.name))
        .collect();
    let bounds = bounds.join(" + ");
    let stem = model.crate_name.trim_end_matches("_host");
    let _ = writeln!(
        out,
        "\n/// Every effect of `{file}`: what a host implements.\npub trait Host: {bounds} {{}}\n\nimpl<T: {bounds} + ?Sized> Host for T {{}}",
        file = model.file_name
    );
    let _ = writeln!(
        out,
        r#"
/// Runs a [`Host`] on the protocol machine: effect calls go to the host's
/// traits; sends, choices and loops to the fallback handler (the built-in
/// [`DefaultHandler`] unless you give one).
pub struct HostAdapter<H, F = DefaultHandler> {{
    host: RefCell<H>,
    fallback: F,
}}

impl<H: Host> HostAdapter<H> {{
    /// `host` for effect calls; the built-in handler (seed 0) for the rest.
    pub fn new(host: H) -> Self {{
        Self::with_fallback(host, DefaultHandler::new(0))
    }}
}}

impl<H: Host, F: EffectHandler> HostAdapter<H, F> {{
    /// `host` for effect calls; `fallback` for every other callback.
    pub fn with_fallback(host: H, fallback: F) -> Self {{
        HostAdapter {{
            host: RefCell::new(host),
            fallback,
        }}
    }}

    /// The host, to look at its state.
    pub fn host(&self) -> Ref<'_, H> {{
        self.host.borrow()
    }}

    /// The host, given back.
    pub fn into_host(self) -> H {{
        self.host.into_inner()
    }}

    /// Performs one effect call on the host.
    fn call(&self, call: &EffectCall<'_>) -> Result<Value, String> {{
        let operation = call.operation.name.as_str();
        let contract = |message: String| {{
            EffectError::tagged(
                EffectErrorCategory::Contract,
                &format!("{{}}.{{operation}}: {{message}}", call.operation.effect),
            )
        }};
        let mut host = self
            .host
            .try_borrow_mut()
            .map_err(|_| contract("the host was called while in use".to_string()))?;
        let answer = match call.operation.effect.as_str() {{"#
    );
    for effect in &model.effects {
        let e = &effect.name;
        let _ = writeln!(
            out,
            "            \"{e}\" => {e}Request::decode(operation, call.argument)\n                .map_err(contract)?\n                .perform(&mut *host),"
        );
    }
    let _ = writeln!(
        out,
        r#"            other => return Err(contract(format!("`{{other}}` is not an effect of {file}"))),
        }};
        answer.map_err(HostFailure::into_step_error)
    }}
}}

impl<H: Host, F: EffectHandler> EffectHandler for HostAdapter<H, F> {{
    fn handler_identity(&self) -> &str {{
        "{stem}.host"
    }}

    fn send_decision_fast_path(
        &self,
        input: &SendDecisionInput<'_>,
    ) -> Option<Result<SendDecision, String>> {{
        self.fallback.send_decision_fast_path(input)
    }}

    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {{
        self.fallback.send_decision(input)
    }}

    fn handle_send(&self, input: &SendDecisionInput<'_>, label: LabelId) -> Result<Value, String> {{
        self.fallback.handle_send(input, label)
    }}

    fn handle_recv(&self, input: &RecvInput<'_>) -> Result<(), String> {{
        self.fallback.handle_recv(input)
    }}

    fn handle_choose(&self, input: &ChooseInput<'_>) -> Result<LabelId, String> {{
        self.fallback.handle_choose(input)
    }}

    fn step(&self, input: &InvokeInput<'_>) -> Result<Value, String> {{
        match &input.call {{
            Some(call) => self.call(call),
            None => self.fallback.step(input),
        }}
    }}

    fn handle_acquire(&self, input: &AcquireInput) -> Result<AcquireDecision, String> {{
        self.fallback.handle_acquire(input)
    }}

    fn handle_release(&self, input: &ReleaseInput<'_>) -> Result<(), String> {{
        self.fallback.handle_release(input)
    }}

    fn handle_join(&self, input: &JoinInput) -> Result<bool, String> {{
        self.fallback.handle_join(input)
    }}

    fn topology_events(&self, input: &TopologyInput) -> Result<Vec<TopologyEvent>, String> {{
        self.fallback.topology_events(input)
    }}

    fn polls_topology(&self) -> bool {{
        self.fallback.polls_topology()
    }}

    fn gives_output_hints(&self) -> bool {{
        self.fallback.gives_output_hints()
    }}

    fn output_condition_hint(&self, input: &OutputHintInput) -> Option<OutputConditionHint> {{
        self.fallback.output_condition_hint(input)
    }}
}}"#,
        file = model.file_name
    );
}

fn protocol_images(out: &mut String, model: &Model, protocols: &[(String, String)]) {
    let _ = writeln!(
        out,
        "\n/// The protocols of `{}` compiled for the machine: name and code image\n/// (JSON, in `images/`).\npub const PROTOCOLS: &[(&str, &str)] = &[",
        model.file_name
    );
    for (name, _) in protocols {
        let _ = writeln!(
            out,
            "    (\"{name}\", include_str!(\"../images/{name}.json\")),"
        );
    }
    let _ = writeln!(
        out,
        r#"];

/// The code image of protocol `name`, ready to load on the machine.
pub fn protocol_image(name: &str) -> Result<CodeImage, String> {{
    let (_, json) = PROTOCOLS
        .iter()
        .find(|(n, _)| *n == name)
        .ok_or_else(|| format!("no protocol `{{name}}` in {file}"))?;
    CodeImage::from_json(json).map_err(|e| format!("protocol `{{name}}`: {{e}}"))
}}"#,
        file = model.file_name
    );
}
