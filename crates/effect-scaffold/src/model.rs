//! What a scaffold is generated from: a file's effects, the declared types
//! their signatures reach, the user-owned named types, and its protocols
//! compiled for the machine — with every name already a Rust name.

use crate::error::ScaffoldError;
use crate::rust_type::RustType;
use std::collections::{BTreeMap, BTreeSet};
use telltale_codegen::names::{rust_ident, shadows_prelude, snake_case, upper_camel};
use telltale_lang::ast::{EffectDecl, FamilySize, Item, Operation, TypeDecl, TypeDef, TypeExpr};
use telltale_lang::{type_text, Module, SourceFile, Span};

/// Everything the emitters need.
#[derive(Debug)]
pub(crate) struct Model {
    /// The file name without folders (`ledger_effects.tell`).
    pub file_name: String,
    /// The generated crate's library name (`ledger_effects_host`).
    pub crate_name: String,
    /// The effects, in source order.
    pub effects: Vec<EffectModel>,
    /// Declared types the effects reach, in source order.
    pub declared: Vec<DeclaredType>,
    /// Named payload types the user owns, in first-use order.
    pub opaque: Vec<OpaqueType>,
}

/// One `effect` declaration.
#[derive(Debug)]
pub(crate) struct EffectModel {
    /// Its name (`Ledger`), also the Rust prefix of its items.
    pub name: String,
    /// Its operations, in source order.
    pub operations: Vec<OperationModel>,
}

/// One operation of an effect.
#[derive(Debug)]
pub(crate) struct OperationModel {
    /// As declared (`append`).
    pub name: String,
    /// The trait method (`append`).
    pub method: String,
    /// The request variant (`Append`).
    pub variant: String,
    /// The declaration as written (`append : ledger.Entry -> Result ...`).
    pub signature: String,
    /// The argument's Rust type (`()` when it takes none).
    pub input: RustType,
    /// The argument's parameter name.
    pub argument: String,
    /// The argument type as written.
    pub input_text: String,
    /// The result type as written.
    pub output_text: String,
    /// What the result looks like.
    pub output: OutcomeShape,
}

/// The shape of an operation's result, which decides its outcomes.
#[derive(Debug)]
pub(crate) enum OutcomeShape {
    /// `Result E T`: `Ok(T)` or `Err(E)`.
    Result {
        /// `T`.
        ok: RustType,
        /// `E`.
        err: RustType,
    },
    /// `Maybe T`: `Just(T)` or `Nothing`.
    Maybe(RustType),
    /// `Option T`: `Some(T)` or `None`.
    Option(RustType),
    /// `Bool`: `True` or `False`.
    Bool,
    /// A declared variant type: its variants.
    Variants(String),
}

impl OutcomeShape {
    /// The Rust type of the outcome.
    pub(crate) fn rust(&self) -> String {
        match self {
            OutcomeShape::Result { ok, err } => format!("Result<{ok}, {err}>"),
            OutcomeShape::Maybe(t) | OutcomeShape::Option(t) => format!("Option<{t}>"),
            OutcomeShape::Bool => "bool".to_string(),
            OutcomeShape::Variants(name) => name.clone(),
        }
    }
}

/// A declared `type` the effects reach.
#[derive(Debug)]
pub(crate) struct DeclaredType {
    /// Its name (also its Rust name).
    pub name: String,
    /// The declaration as written, for the doc comment.
    pub written: String,
    /// What it is.
    pub kind: DeclaredKind,
}

/// The right-hand side of a declared type.
#[derive(Debug)]
pub(crate) enum DeclaredKind {
    /// `| A | B of T`: an enum.
    Variants(Vec<(String, Vec<RustType>)>),
    /// `type alias X = { f : T }`: a struct.
    Record(Vec<(String, RustType)>),
    /// `type alias X = T`: a Rust type alias.
    Alias(RustType),
}

/// A named payload type the program owns (`ledger.Entry`).
#[derive(Debug)]
pub(crate) struct OpaqueType {
    /// The dotted path as written.
    pub path: String,
    /// Its Rust name.
    pub rust: String,
}

/// The family size the scaffold uses when none is given.
pub const DEFAULT_FAMILY_SIZE: u64 = 3;

/// Builds the model of a parsed file.
pub(crate) fn build(source: &SourceFile, module: &Module) -> Result<Model, ScaffoldError> {
    let file_name = std::path::Path::new(&source.name)
        .file_name()
        .map_or_else(|| source.name.clone(), |n| n.to_string_lossy().into_owned());
    let mut builder = Builder {
        source,
        module,
        declared: BTreeSet::new(),
        opaque: Vec::new(),
    };
    let mut effects = Vec::new();
    for item in &module.items {
        if let Item::Effect(decl) = item {
            effects.push(builder.effect(decl)?);
        }
    }
    if effects.is_empty() {
        return Err(ScaffoldError::NoEffects {
            file: source.name.clone(),
        });
    }
    let mut declared = Vec::new();
    for item in &module.items {
        if let Item::Type(decl) = item {
            if builder.declared.contains(&decl.name.text) {
                declared.push(builder.declared_type(decl)?);
            }
        }
    }
    Ok(Model {
        crate_name: format!("{}_host", crate_stem(&file_name)),
        file_name,
        effects,
        declared,
        opaque: builder.opaque,
    })
}

/// The family sizes of a file's protocols: `given`, and
/// [`DEFAULT_FAMILY_SIZE`] for every other family parameter.
pub(crate) fn family_sizes(
    module: &Module,
    given: &BTreeMap<String, u64>,
) -> BTreeMap<String, u64> {
    let mut sizes = given.clone();
    for protocol in module.protocols() {
        for role in protocol.declared_roles() {
            let param = match &role.family {
                Some(FamilySize::Symbolic(name)) => name.text.clone(),
                Some(FamilySize::Any) => role.name.text.clone(),
                Some(FamilySize::Fixed(_)) | None => continue,
            };
            sizes.entry(param).or_insert(DEFAULT_FAMILY_SIZE);
        }
    }
    sizes
}

/// A file stem as a Rust crate name: lower case, `_` for anything else.
fn crate_stem(file_name: &str) -> String {
    let stem = file_name.split('.').next().unwrap_or(file_name);
    let mut out: String = snake_case(stem)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert_str(0, "protocol_");
    }
    out
}

struct Builder<'a> {
    source: &'a SourceFile,
    module: &'a Module,
    /// Declared types reached so far.
    declared: BTreeSet<String>,
    opaque: Vec<OpaqueType>,
}

impl Builder<'_> {
    fn location(&self, span: Span) -> String {
        let (line, col) = self.source.line_col(span.start);
        format!("{}:{line}:{col}", self.source.name)
    }

    fn bad_name(
        &self,
        span: Span,
        what: &'static str,
        name: &str,
        problem: String,
        suggestion: String,
    ) -> ScaffoldError {
        ScaffoldError::BadName {
            location: self.location(span),
            what,
            name: name.to_string(),
            problem,
            suggestion,
        }
    }

    fn unsupported(&self, span: Span, message: String) -> ScaffoldError {
        ScaffoldError::Unsupported {
            location: self.location(span),
            message,
        }
    }

    /// Checks that `name` works as a Rust type name as it is.
    fn type_name(&self, span: Span, what: &'static str, name: &str) -> Result<(), ScaffoldError> {
        if rust_ident(name).is_none() || name == "Self" {
            return Err(self.bad_name(
                span,
                what,
                name,
                "is not a Rust identifier".into(),
                format!("{}Type", upper_camel(name)),
            ));
        }
        if shadows_prelude(name) {
            return Err(self.bad_name(
                span,
                what,
                name,
                "would shadow Rust's own type of that name".into(),
                format!("{name}Type"),
            ));
        }
        Ok(())
    }

    fn effect(&mut self, decl: &EffectDecl) -> Result<EffectModel, ScaffoldError> {
        let name = &decl.name.text;
        self.type_name(decl.name.span, "effect", name)?;
        let mut operations: Vec<OperationModel> = Vec::new();
        for op in &decl.operations {
            let model = self.operation(name, op)?;
            if let Some(twin) = operations.iter().find(|o| o.method == model.method) {
                return Err(self.bad_name(
                    op.name.span,
                    "operation",
                    &op.name.text,
                    format!(
                        "becomes the Rust method `{}`, like `{}`",
                        model.method, twin.name
                    ),
                    format!("{}_2", model.method),
                ));
            }
            operations.push(model);
        }
        Ok(EffectModel {
            name: name.clone(),
            operations,
        })
    }

    fn operation(&mut self, effect: &str, op: &Operation) -> Result<OperationModel, ScaffoldError> {
        let name = &op.name.text;
        let method = snake_case(name);
        if rust_ident(&method).is_none() {
            let problem = if method == *name {
                "is a Rust keyword".to_string()
            } else {
                format!("becomes `{method}`, a Rust keyword")
            };
            return Err(self.bad_name(
                op.name.span,
                "operation",
                name,
                problem,
                format!("{method}_op"),
            ));
        }
        let input = self.payload(&op.input, &format!("the argument of `{effect}.{name}`"))?;
        let argument = match &input {
            RustType::Named(t) => {
                let snake = snake_case(t);
                if rust_ident(&snake).is_some() {
                    snake
                } else {
                    format!("{snake}_value")
                }
            }
            RustType::Tuple(_) => "arguments".to_string(),
            _ => "value".to_string(),
        };
        let output = self.outcome_shape(&op.output, effect, name, 0)?;
        let (input_text, output_text) = (type_text(&op.input), type_text(&op.output));
        Ok(OperationModel {
            signature: format!("{name} : {input_text} -> {output_text}"),
            variant: upper_camel(name),
            name: name.clone(),
            method,
            input,
            argument,
            input_text,
            output_text,
            output,
        })
    }

    /// The shape of an operation's result type (through aliases).
    fn outcome_shape(
        &mut self,
        ty: &TypeExpr,
        effect: &str,
        op: &str,
        depth: usize,
    ) -> Result<OutcomeShape, ScaffoldError> {
        let no_case = || {
            self.unsupported(
                ty.span(),
                format!(
                    "the result `{}` of `{effect}.{op}` gives a `case` nothing to branch on; the scaffold needs `Result E T`, `Maybe T`, `Option T`, `Bool` or a declared variant type",
                    type_text(ty)
                ),
            )
        };
        let TypeExpr::Path { path, args, span } = ty else {
            return Err(no_case());
        };
        let arg = |this: &mut Self, i: usize, of: &str| -> Result<RustType, ScaffoldError> {
            match args.get(i) {
                Some(t) => this.payload(t, &format!("the result of `{effect}.{op}`")),
                None => Err(this.unsupported(
                    *span,
                    format!("`{of}` in the result of `{effect}.{op}` needs its type arguments"),
                )),
            }
        };
        match path.as_slice() {
            [one] if one == "Result" => Ok(OutcomeShape::Result {
                err: arg(self, 0, "Result")?,
                ok: arg(self, 1, "Result")?,
            }),
            [one] if one == "Maybe" => Ok(OutcomeShape::Maybe(arg(self, 0, "Maybe")?)),
            [one] if one == "Option" => Ok(OutcomeShape::Option(arg(self, 0, "Option")?)),
            [one] if one == "Bool" => Ok(OutcomeShape::Bool),
            [one] => match self.module.type_decl(one) {
                Some(TypeDecl {
                    def: TypeDef::Variants(_),
                    ..
                }) => {
                    self.declared.insert(one.clone());
                    Ok(OutcomeShape::Variants(one.clone()))
                }
                Some(TypeDecl {
                    def: TypeDef::Alias(t),
                    ..
                }) if depth < 16 => self.outcome_shape(t, effect, op, depth + 1),
                _ => Err(no_case()),
            },
            _ => Err(no_case()),
        }
    }

    /// The Rust type of a payload type (an argument, a result payload, a
    /// field); `context` says where it is, for errors.
    fn payload(&mut self, ty: &TypeExpr, context: &str) -> Result<RustType, ScaffoldError> {
        match ty {
            TypeExpr::Tuple(items, _) => match items.as_slice() {
                [] => Ok(RustType::Unit),
                [one] => self.payload(one, context),
                many => Ok(RustType::Tuple(
                    many.iter()
                        .map(|t| self.payload(t, context))
                        .collect::<Result<_, _>>()?,
                )),
            },
            TypeExpr::Record(_, span) => Err(self.unsupported(
                *span,
                format!("{context} is a record written in place; name it with `type alias Name = {}` and use the name", type_text(ty)),
            )),
            TypeExpr::Path { path, args, span } => {
                let text = path.join(".");
                if ["Result", "Maybe", "Option"].contains(&text.as_str()) {
                    return Err(self.unsupported(*span, format!("{context} is a `{text}`; only an operation's result may be one (the scaffold maps it to the outcomes)")));
                }
                if let [one] = path.as_slice() {
                    if let Some(decl) = self.module.type_decl(one) {
                        if !decl.params.is_empty() {
                            return Err(self.unsupported(decl.span, format!("type `{one}` has type parameters, which the scaffold does not generate; declare it without them")));
                        }
                        if self.declared.insert(one.clone()) {
                            // Reach the types its own definition uses.
                            self.declared_type(decl)?;
                        }
                        return Ok(RustType::Named(one.clone()));
                    }
                    if let Some(p) = RustType::primitive(one) {
                        if args.is_empty() {
                            return Ok(p);
                        }
                    }
                }
                Ok(RustType::Named(self.opaque_name(&text)))
            }
        }
    }

    /// The Rust name of a user-owned named type, added on first use.
    fn opaque_name(&mut self, path: &str) -> String {
        if let Some(o) = self.opaque.iter().find(|o| o.path == path) {
            return o.rust.clone();
        }
        let last = upper_camel(path.rsplit('.').next().unwrap_or(path));
        let taken = |name: &str, this: &Self| {
            this.opaque.iter().any(|o| o.rust == name)
                || this.module.type_decl(name).is_some()
                || shadows_prelude(name)
                || rust_ident(name).is_none()
        };
        let rust = if taken(&last, self) {
            path.split('.').map(upper_camel).collect::<String>()
        } else {
            last
        };
        self.opaque.push(OpaqueType {
            path: path.to_string(),
            rust: rust.clone(),
        });
        rust
    }

    fn declared_type(&mut self, decl: &TypeDecl) -> Result<DeclaredType, ScaffoldError> {
        let name = &decl.name.text;
        self.type_name(decl.name.span, "type", name)?;
        let context = format!("a part of type `{name}`");
        let kind = match &decl.def {
            TypeDef::Variants(variants) => {
                let mut out = Vec::new();
                for (variant, items) in variants {
                    self.type_name(variant.span, "variant", &variant.text)?;
                    let items = items
                        .iter()
                        .map(|t| self.payload(t, &context))
                        .collect::<Result<Vec<_>, _>>()?;
                    out.push((variant.text.clone(), items));
                }
                DeclaredKind::Variants(out)
            }
            TypeDef::Alias(TypeExpr::Record(fields, _)) => {
                let mut out = Vec::new();
                for (field, ty) in fields {
                    if rust_ident(&field.text).is_none() {
                        return Err(self.bad_name(
                            field.span,
                            "field",
                            &field.text,
                            "is a Rust keyword".into(),
                            format!("{}_", field.text),
                        ));
                    }
                    out.push((field.text.clone(), self.payload(ty, &context)?));
                }
                DeclaredKind::Record(out)
            }
            TypeDef::Alias(t) => DeclaredKind::Alias(self.payload(t, &context)?),
        };
        let text = self
            .source
            .text
            .get(decl.span.start..decl.span.end)
            .unwrap_or(name);
        Ok(DeclaredType {
            name: name.clone(),
            written: text.split_whitespace().collect::<Vec<_>>().join(" "),
            kind,
        })
    }
}
