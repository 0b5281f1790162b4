//! Programs that break the protocol must not compile.
#![allow(missing_docs)]

#[test]
fn protocol_violations_are_compile_errors() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/*.rs");
}
