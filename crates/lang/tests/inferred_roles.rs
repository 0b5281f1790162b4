//! Protocols without a `roles` line: roles are inferred in order of first
//! appearance, and a broadcast reaches every one of them.

#![allow(clippy::unwrap_used)]

use telltale_lang::{lower_all, parse_module, LowerOptions, SourceFile};

#[test]
fn inferred_roles_keep_source_order_and_broadcasts_reach_them_all() {
    let file = SourceFile::new(
        "q.tell",
        "protocol Q =\n  Carol -> Alice : Hi\n  Alice ->* : News\n  Bob -> Carol : Bye\n",
    );
    let (module, diagnostics) = parse_module(&file);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    let protocol = lower_all(&module, &LowerOptions::default())
        .unwrap()
        .remove(0);
    let roles: Vec<&str> = protocol.roles.iter().map(|r| r.as_str()).collect();
    assert_eq!(roles, ["Carol", "Alice", "Bob"]);
    assert_eq!(
        protocol.global.to_string(),
        "Carol -> Alice : { Hi(unit) . Alice -> Carol : { News(unit) . Alice -> Bob : { News(unit) . Bob -> Carol : { Bye(unit) . end } } } }"
    );
}
