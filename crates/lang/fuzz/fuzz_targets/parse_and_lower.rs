//! Feeds arbitrary bytes to both front-ends, the lowering and the formatter.
//!
//! Run with `cargo fuzz run parse_and_lower` from `crates/lang`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use telltale_lang::{
    format_module, lower_all, parse_module, parse_nuscr, LowerOptions, SourceFile,
};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let opts = LowerOptions::with_params([("N", 3), ("W", 2)]);
    for (module, diags) in [
        parse_module(&SourceFile::new("fuzz.tell", text.as_ref())),
        parse_nuscr(&SourceFile::new("fuzz.nuscr", text.as_ref())),
    ] {
        let file = SourceFile::new("fuzz", text.as_ref());
        for d in &diags {
            let _ = d.render(&file);
        }
        let _ = lower_all(&module, &opts);
        let formatted = format_module(&module);
        let (again, _) = parse_module(&SourceFile::new("fmt.tell", formatted));
        let _ = lower_all(&again, &opts);
    }
});
