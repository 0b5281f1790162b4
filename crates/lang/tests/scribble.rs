//! Scribble as the Scribble toolchain writes it: module and payload
//! declarations, numeric and empty operators, `do` with role arguments and
//! qualified names, `aux`, imports through a module loader, and the
//! constructs refused as not supported.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use telltale_lang::{
    lower_all, lower_protocol, parse_nuscr, resolve_imports, DiagnosticKind, FileDiagnostics,
    LowerOptions, Module, ModuleLoadError, ModuleLoader, SourceFile,
};

/// Modules held in memory, by dotted name.
struct MemoryLoader(BTreeMap<&'static str, &'static str>);

impl ModuleLoader for MemoryLoader {
    fn load_module(&self, module: &str, _importer: &str) -> Result<SourceFile, ModuleLoadError> {
        match self.0.get(module) {
            Some(text) => Ok(SourceFile::new(format!("{module}.scr"), *text)),
            None => Err(ModuleLoadError::NotFound {
                module: module.to_string(),
                tried: vec![format!("`{}.scr`", module.replace('.', "/"))],
            }),
        }
    }
}

/// Parses `text` as `main.scr` with no parse error, resolving its imports.
fn resolved(
    text: &str,
    modules: &[(&'static str, &'static str)],
) -> (Module, Vec<FileDiagnostics>) {
    let file = SourceFile::new("main.scr", text);
    let (mut module, diags) = parse_nuscr(&file);
    assert!(diags.is_empty(), "{diags:?}");
    let loader = MemoryLoader(modules.iter().copied().collect());
    let problems = resolve_imports(&file, &mut module, &loader);
    (module, problems)
}

/// The global type of protocol `name` of a file that must parse cleanly.
fn global(text: &str, name: &str) -> String {
    let (module, problems) = resolved(text, &[]);
    assert!(problems.is_empty(), "{problems:?}");
    lower_protocol(&module, name, &LowerOptions::default())
        .unwrap()
        .to_string()
}

/// Every problem rendered against its own file.
fn rendered(problems: &[FileDiagnostics]) -> String {
    problems
        .iter()
        .flat_map(|p| p.diagnostics.iter().map(|d| d.render(&p.file)))
        .collect::<Vec<_>>()
        .join("\n")
}

const CALCULATOR: &str = r#"module demo.calc.Calculator;

type <java> "java.lang.Integer" from "rt.jar" as Int;
type <java> "java.lang.String" from "rt.jar" as Text;
sig <java> "demo.calc.Reset" from "demo/calc/Reset.java" as Reset;

explicit global protocol Calculator(role C, role S) {
  rec Loop {
    choice at C {
      Add(Int, Int) from C to S;
      1(Int) from S to C;
      continue Loop;
    } or {
      Reset from C to S;
      () from S to C;
      continue Loop;
    } or {
      Quit() from C to S;
      Bye(Text) from S to C;
    }
  }
}
"#;

#[test]
fn a_file_in_reference_scribble_lowers() {
    let (module, problems) = resolved(CALCULATOR, &[]);
    assert!(problems.is_empty());
    let header = module.header.as_ref().expect("the module header is kept");
    let path: Vec<&str> = header.path.iter().map(|n| n.text.as_str()).collect();
    assert_eq!(path, ["demo", "calc", "Calculator"]);
    assert_eq!(module.payload_types().count(), 3);
    let g = global(CALCULATOR, "Calculator");
    assert_eq!(
        g,
        "rec Loop . C -> S : { Add((Int, Int)) . S -> C : { 1(Int) . Loop }, \
         Reset(Reset) . S -> C : { _(unit) . Loop }, \
         Quit(unit) . S -> C : { Bye(Text) . end } }"
    );
}

#[test]
fn a_declared_type_is_a_named_sort_even_with_a_primitive_name() {
    // Without the declaration `Int` is the primitive integer sort.
    let plain = global(
        "global protocol P(role A, role B) { m(Int) from A to B; }",
        "P",
    );
    let declared = global(
        "type <java> \"java.lang.Integer\" from \"rt.jar\" as Int;\n\
         global protocol P(role A, role B) { m(Int) from A to B; }",
        "P",
    );
    assert_ne!(plain, declared);
    assert!(declared.contains("m(Int)"), "{declared}");
}

#[test]
fn do_renames_roles_and_accepts_qualified_names() {
    let text = "module demo.Relay;\n\
        aux global protocol Hop(role X, role Y) { Pass() from X to Y; }\n\
        global protocol Relay(role A, role B, role C) {\n\
          do Hop(A, B);\n\
          do demo.Relay.Hop(B, C);\n\
        }\n";
    assert_eq!(
        global(text, "Relay"),
        "A -> B : { Pass(unit) . B -> C : { Pass(unit) . end } }"
    );
}

#[test]
fn aux_protocols_are_not_entry_points() {
    let text = "aux global protocol Hop(role X, role Y) { Pass() from X to Y; }\n\
        global protocol Main(role A, role B) { do Hop(A, B); }\n";
    let (module, _) = resolved(text, &[]);
    let names: Vec<String> = lower_all(&module, &LowerOptions::default())
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(names, ["Main"]);
}

const PAYMENTS: &str = "module shop.Payments;\n\
    type <java> \"java.math.BigDecimal\" from \"rt.jar\" as Amount;\n\
    global protocol Pay(role Buyer, role Bank) {\n\
      Charge(Amount) from Buyer to Bank;\n\
      do Confirm(Bank, Buyer);\n\
    }\n\
    aux global protocol Confirm(role From, role To) { Ok() from From to To; }\n";

#[test]
fn imported_protocols_are_called_by_qualified_name_or_alias() {
    for text in [
        "import shop.Payments;\n\
         global protocol Order(role B, role S, role K) {\n\
           Item() from B to S;\n\
           do shop.Payments.Pay(B, K);\n\
         }\n",
        "import shop.Payments as Pm;\n\
         global protocol Order(role B, role S, role K) {\n\
           Item() from B to S;\n\
           do Pm.Pay(B, K);\n\
         }\n",
    ] {
        let (module, problems) = resolved(text, &[("shop.Payments", PAYMENTS)]);
        assert!(problems.is_empty(), "{}", rendered(&problems));
        let lowered = lower_all(&module, &LowerOptions::default()).unwrap();
        assert_eq!(lowered.len(), 1, "imported protocols are not entry points");
        assert_eq!(
            lowered[0].global.to_string(),
            "B -> S : { Item(unit) . B -> K : { Charge(Amount) . K -> B : { Ok(unit) . end } } }"
        );
    }
}

#[test]
fn a_missing_module_is_located_at_its_import() {
    let (_, problems) = resolved(
        "module app.Main;\nimport shop.Nowhere;\nglobal protocol P(role A, role B) { m() from A to B; }\n",
        &[],
    );
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].file.name, "main.scr");
    assert_eq!(
        problems[0].diagnostics[0].kind,
        DiagnosticKind::MissingModule
    );
    insta::assert_snapshot!("missing_module", rendered(&problems));
}

#[test]
fn an_import_cycle_names_the_chain() {
    let (_, problems) = resolved(
        "module app.Main;\nimport app.A;\nglobal protocol P(role A, role B) { m() from A to B; }\n",
        &[
            ("app.A", "module app.A;\nimport app.B;\n"),
            ("app.B", "module app.B;\nimport app.Main;\n"),
        ],
    );
    let kinds: Vec<DiagnosticKind> = problems
        .iter()
        .flat_map(|p| p.diagnostics.iter().map(|d| d.kind))
        .collect();
    assert_eq!(kinds, [DiagnosticKind::ImportCycle]);
    assert_eq!(problems[0].file.name, "app.B.scr");
    insta::assert_snapshot!("import_cycle", rendered(&problems));
}

#[test]
fn problems_in_an_imported_module_point_into_that_module() {
    let (_, problems) = resolved(
        "import lib.Broken;\nglobal protocol P(role A, role B) { m() from A to B; }\n",
        &[(
            "lib.Broken",
            "global protocol Q(role A, role B) { m() from A to Carol; }\n",
        )],
    );
    assert_eq!(problems.len(), 1);
    assert_eq!(problems[0].file.name, "lib.Broken.scr");
    assert_eq!(
        problems[0].diagnostics[0].kind,
        DiagnosticKind::UndeclaredRole
    );
}

#[test]
fn unsupported_constructs_are_refused_where_they_are() {
    let file = SourceFile::new(
        "main.scr",
        "explicit global protocol P(role A, role B) {\n\
           connect A to B;\n\
           m() from A to B;\n\
           interruptible {\n\
             n() from B to A;\n\
           } with {\n\
             stop() by A;\n\
           }\n\
           disconnect A and B;\n\
         }\n\
         local protocol L at A(role A, role B) { }\n",
    );
    let (_, diags) = parse_nuscr(&file);
    let kinds: Vec<DiagnosticKind> = diags.iter().map(|d| d.kind).collect();
    assert_eq!(kinds, [DiagnosticKind::Unsupported; 4], "{diags:?}");
    let text = diags
        .iter()
        .map(|d| d.render(&file))
        .collect::<Vec<_>>()
        .join("\n");
    insta::assert_snapshot!("unsupported", text);
}

#[test]
fn the_statements_around_an_unsupported_one_are_still_read() {
    let file = SourceFile::new(
        "main.scr",
        "global protocol P(role A, role B) {\n  connect A to B;\n  m() from A to B;\n}\n",
    );
    let (module, diags) = parse_nuscr(&file);
    assert_eq!(diags.len(), 1);
    let body = &module.top_level_protocols().next().unwrap().body;
    assert_eq!(body.len(), 1, "the message after `connect` is kept");
}

#[test]
fn a_broken_declaration_does_not_hide_the_protocols_after_it() {
    let file = SourceFile::new(
        "main.scr",
        "module a.b\ntype <java> \"java.lang.Integer\" as ;\nglobal protocol P(role A, role B) { m() from A to B; }\n",
    );
    let (module, diags) = parse_nuscr(&file);
    assert_eq!(diags.len(), 2, "{diags:?}");
    assert!(diags.iter().all(|d| d.kind == DiagnosticKind::Syntax));
    assert_eq!(module.top_level_protocols().count(), 1);
}
