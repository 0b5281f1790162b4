//! The syntax tree shared by both front-ends.
//!
//! Every node keeps its [`Span`], so lowering can point at the exact text of
//! a problem. Annotations and guards are kept as metadata; lowering ignores
//! them but the formatter prints them back.

use crate::lexer::Comment;
use crate::source::Span;

/// Which front-end produced a module (it changes how `call` cycles are read).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dialect {
    /// The `.tell` language: a `call` cycle is an error.
    #[default]
    Tell,
    /// Scribble/nuscr: a `do` cycle is a recursion.
    Nuscr,
}

/// A parsed file.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Module {
    /// The front-end that produced it.
    pub dialect: Dialect,
    /// The optional `module a.b exposing (X, Y)` header.
    pub header: Option<ModuleHeader>,
    /// `import` lines, recorded but not resolved.
    pub imports: Vec<Import>,
    /// Protocols, types and effects in source order.
    pub items: Vec<Item>,
    /// Comments, kept for the formatter.
    pub comments: Vec<Comment>,
}

impl Module {
    /// Every protocol of the module, including those nested in `where` blocks.
    pub fn protocols(&self) -> Vec<&Protocol> {
        let mut out = Vec::new();
        for item in &self.items {
            if let Item::Protocol(p) = item {
                collect_protocols(p, &mut out);
            }
        }
        out
    }

    /// The top-level protocols of the module, in source order.
    pub fn top_level_protocols(&self) -> impl Iterator<Item = &Protocol> {
        self.items.iter().filter_map(|item| match item {
            Item::Protocol(p) => Some(p),
            _ => None,
        })
    }

    /// The effect declaration named `name`.
    pub fn effect(&self, name: &str) -> Option<&EffectDecl> {
        self.items.iter().find_map(|item| match item {
            Item::Effect(e) if e.name.text == name => Some(e),
            _ => None,
        })
    }

    /// The Scribble payload type and signature declarations, in source order.
    pub fn payload_types(&self) -> impl Iterator<Item = &PayloadTypeDecl> {
        self.items.iter().filter_map(|item| match item {
            Item::PayloadType(t) => Some(t),
            _ => None,
        })
    }

    /// The type declaration named `name`.
    pub fn type_decl(&self, name: &str) -> Option<&TypeDecl> {
        self.items.iter().find_map(|item| match item {
            Item::Type(t) if t.name.text == name => Some(t),
            _ => None,
        })
    }
}

fn collect_protocols<'a>(p: &'a Protocol, out: &mut Vec<&'a Protocol>) {
    out.push(p);
    for nested in &p.nested {
        collect_protocols(nested, out);
    }
}

/// An identifier with its position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Name {
    /// The identifier.
    pub text: String,
    /// Where it is written.
    pub span: Span,
}

/// `module a.b exposing (X)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModuleHeader {
    /// The dotted module path.
    pub path: Vec<Name>,
    /// The exposed names.
    pub exposing: Vec<Name>,
    /// The whole header.
    pub span: Span,
}

/// `import a.b` (Scribble: `import a.b as M;`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Import {
    /// The dotted module path.
    pub path: Vec<Name>,
    /// The local name after `as`, if any.
    pub alias: Option<Name>,
    /// The whole line.
    pub span: Span,
}

/// A top-level declaration.
#[derive(Clone, Debug, PartialEq)]
pub enum Item {
    /// `protocol X = ...`.
    Protocol(Protocol),
    /// `type X = | A | B` or `type alias X = T`.
    Type(TypeDecl),
    /// `effect E` with operations.
    Effect(EffectDecl),
    /// A nuscr pragma block, kept for the record.
    Pragma(Vec<Name>),
    /// A Scribble `type <java> "..." from "..." as T;` or `sig ... as S;`.
    PayloadType(PayloadTypeDecl),
}

/// Whether a Scribble payload declaration names a data type or a message signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayloadTypeKind {
    /// `type ... as T;`: `T` is a payload sort usable in `m(T)`.
    Type,
    /// `sig ... as S;`: `S` is a whole message, usable as `S from A to B;`.
    Sig,
}

/// A Scribble payload type or message signature declaration: an external
/// type given a local name, which lowering treats as a named payload sort.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayloadTypeDecl {
    /// `type` or `sig`.
    pub kind: PayloadTypeKind,
    /// The schema inside `<...>`, such as `java`.
    pub schema: Name,
    /// The external name in the first string, such as `java.lang.Integer`.
    pub external: String,
    /// Where the external definition comes from (`from "rt.jar"`), if written.
    pub source: Option<String>,
    /// The local name after `as`.
    pub name: Name,
    /// The whole declaration.
    pub span: Span,
}

/// A global protocol.
#[derive(Clone, Debug, PartialEq)]
pub struct Protocol {
    /// Its name.
    pub name: Name,
    /// Role parameters written after the name (`protocol P(A, B)`, nuscr `role A`).
    pub params: Vec<RoleDecl>,
    /// The effects named by `uses`.
    pub uses: Vec<Name>,
    /// The body, including its `roles` statement.
    pub body: Vec<Stmt>,
    /// Protocols declared in its `where` block.
    pub nested: Vec<Protocol>,
    /// Whether it is auxiliary (Scribble `aux`, or imported from another
    /// module): callable with `do`, but not an entry point of `lower_all`.
    pub aux: bool,
    /// The whole declaration.
    pub span: Span,
}

impl Protocol {
    /// The declared roles: the parameters, then every `roles` line, in order.
    pub fn declared_roles(&self) -> Vec<&RoleDecl> {
        let mut roles: Vec<&RoleDecl> = self.params.iter().collect();
        for stmt in &self.body {
            if let StmtKind::Roles(decls) = &stmt.kind {
                roles.extend(decls.iter());
            }
        }
        roles
    }
}

/// One entry of `roles`: a single role or a family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleDecl {
    /// The role or family name.
    pub name: Name,
    /// `Some` for a family `W[size]`.
    pub family: Option<FamilySize>,
    /// The whole entry.
    pub span: Span,
}

/// The size of a role family.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FamilySize {
    /// `W[4]`.
    Fixed(u64),
    /// `W[N]`, bound by the parameter `N`.
    Symbolic(Name),
    /// `W[*]`, bound by the parameter named like the family.
    Any,
}

/// A reference to one or more roles in a statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleRef {
    /// The role or family name.
    pub name: Name,
    /// How family members are selected (`None` for a plain role).
    pub index: Option<RoleIndex>,
    /// The whole reference.
    pub span: Span,
}

/// How family members are selected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RoleIndex {
    /// `W[e]`.
    One(IndexExpr),
    /// `W[a..b]`, `b` exclusive.
    Range(IndexExpr, IndexExpr),
    /// `W[*]`.
    All,
}

/// An index: a number or a size parameter, plus or minus a constant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexExpr {
    /// A number, or `None` when the base is a parameter.
    pub base: IndexBase,
    /// The constant added (may be negative).
    pub offset: i64,
    /// The whole expression.
    pub span: Span,
}

/// The base of an index expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IndexBase {
    /// A literal.
    Literal(u64),
    /// A size parameter such as `N`.
    Param(String),
}

/// A statement with its span.
#[derive(Clone, Debug, PartialEq)]
pub struct Stmt {
    /// What the statement is.
    pub kind: StmtKind,
    /// The whole statement.
    pub span: Span,
}

/// A payload type expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeExpr {
    /// A dotted path with optional arguments (`Int`, `shop.Order`, `Result E T`).
    Path {
        /// The path segments.
        path: Vec<String>,
        /// Type arguments of an application.
        args: Vec<TypeExpr>,
        /// Where it is written.
        span: Span,
    },
    /// `{ a : T, b : U }`.
    Record(Vec<(Name, TypeExpr)>, Span),
    /// `(T, U)` (also the empty tuple `()`).
    Tuple(Vec<TypeExpr>, Span),
}

/// What a message carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Payload {
    /// Nothing.
    Unit,
    /// `of a.b.Type`.
    Of(TypeExpr),
    /// `{ item : String, qty : Int }`.
    Record(Vec<(Name, TypeExpr)>),
    /// `(x : Int, ok : Bool)` or `(Int, Bool)`: names are optional.
    Tuple(Vec<(Option<Name>, TypeExpr)>),
}

/// `key = value` metadata on a sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annotation {
    /// The key.
    pub key: Name,
    /// The value as written.
    pub value: String,
}

/// One branch of `choice`.
#[derive(Clone, Debug, PartialEq)]
pub struct ChoiceBranch {
    /// The branch name after `|`.
    pub name: Name,
    /// The guard text inside `when ( ... )`.
    pub guard: Option<String>,
    /// The statements.
    pub body: Vec<Stmt>,
    /// The whole branch.
    pub span: Span,
}

/// How a loop repeats.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoopKind {
    /// `loop forever`.
    Forever,
    /// `loop repeat n`.
    Repeat(u64),
    /// `loop decide by A`.
    DecideBy(RoleRef),
    /// `loop while "cond"`.
    While(String),
}

/// One branch of `case`.
#[derive(Clone, Debug, PartialEq)]
pub struct CaseBranch {
    /// The constructor (`Ok`, `Err`, `Just`, `Nothing`, a variant or `_`).
    pub constructor: Name,
    /// The bound variable, if any.
    pub binder: Option<Name>,
    /// The statements.
    pub body: Vec<Stmt>,
    /// The whole branch.
    pub span: Span,
}

/// The statements of a protocol body.
#[derive(Clone, Debug, PartialEq)]
pub enum StmtKind {
    /// `roles A, B, W[N]`.
    Roles(Vec<RoleDecl>),
    /// `A -> B : Msg payload` or broadcast `A ->* : Msg`, optionally
    /// ending with `or missed`.
    Send {
        /// The sender.
        from: RoleRef,
        /// Sender annotations `{ k = v }`.
        annotations: Vec<Annotation>,
        /// The receivers (nuscr may list several); empty for a broadcast.
        to: Vec<RoleRef>,
        /// Whether this is `->*`.
        broadcast: bool,
        /// The label.
        label: Name,
        /// The payload.
        payload: Payload,
        /// Whether it ends with `or missed`: once the session's deadline
        /// has passed, the receiver may stop waiting for it
        /// (`telltale_types::missable`).
        missable: bool,
    },
    /// `choice A at | X => ...`.
    Choice {
        /// The deciding role.
        decider: RoleRef,
        /// The branches.
        branches: Vec<ChoiceBranch>,
    },
    /// `rec L` with a body.
    Rec {
        /// The label.
        label: Name,
        /// The body.
        body: Vec<Stmt>,
    },
    /// `continue L`.
    Continue(Name),
    /// `loop ...` with a body.
    Loop {
        /// How it repeats.
        kind: LoopKind,
        /// The body.
        body: Vec<Stmt>,
    },
    /// `par | ... | ...`.
    Par(Vec<(Vec<Stmt>, Span)>),
    /// `call P` or `call P(A, B)`.
    Call {
        /// The protocol called.
        protocol: Name,
        /// Role arguments, positional.
        args: Vec<RoleRef>,
    },
    /// `timeout 5s A at ... on timeout => ...`.
    Timeout {
        /// The duration as written.
        duration: String,
        /// The waiting role.
        role: RoleRef,
        /// The normal path.
        body: Vec<Stmt>,
        /// The path taken on expiry.
        on_timeout: Vec<Stmt>,
    },
    /// `heartbeat A -> B every 1s on_missing(3) { ... } body { ... }`.
    Heartbeat {
        /// The role that beats.
        from: RoleRef,
        /// The role that watches.
        to: RoleRef,
        /// The period as written.
        every: String,
        /// How many missed beats mean dead.
        missing: u64,
        /// What happens when the beats stop.
        on_missing: Vec<Stmt>,
        /// What happens while alive.
        body: Vec<Stmt>,
    },
    /// `let x = check E.op(args)` (optionally `at A`).
    Let {
        /// The bound name.
        var: Name,
        /// The effect.
        effect: Name,
        /// The operation.
        operation: Name,
        /// The arguments as written.
        args: Vec<String>,
        /// The role that performs the check, when written.
        at: Option<RoleRef>,
    },
    /// `case x of | Ok(v) => ... | Err(e) => ...`.
    Case {
        /// The scrutinee.
        scrutinee: Name,
        /// The branches.
        branches: Vec<CaseBranch>,
    },
}

/// `type X = | A | B` or `type alias X = T`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TypeDecl {
    /// The type name.
    pub name: Name,
    /// Type parameters.
    pub params: Vec<Name>,
    /// Variants or alias.
    pub def: TypeDef,
    /// The whole declaration.
    pub span: Span,
}

/// The right-hand side of a type declaration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TypeDef {
    /// `| A | B of T`: constructors with their argument types.
    Variants(Vec<(Name, Vec<TypeExpr>)>),
    /// `type alias X = T`.
    Alias(TypeExpr),
}

/// `effect E` and its operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EffectDecl {
    /// The effect name.
    pub name: Name,
    /// The operations.
    pub operations: Vec<Operation>,
    /// The whole declaration.
    pub span: Span,
}

/// `op : Input -> Output`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Operation {
    /// The operation name.
    pub name: Name,
    /// The argument type.
    pub input: TypeExpr,
    /// The result type.
    pub output: TypeExpr,
    /// The whole line.
    pub span: Span,
}

impl TypeExpr {
    /// Where the type is written.
    pub fn span(&self) -> Span {
        match self {
            TypeExpr::Path { span, .. } | TypeExpr::Record(_, span) | TypeExpr::Tuple(_, span) => {
                *span
            }
        }
    }
}
