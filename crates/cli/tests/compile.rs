//! `tell compile`: disassembly, images that load back, and image sizes.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::{stderr, stdout, tell};

#[test]
fn compile_disassembles_every_role() {
    let out = tell(&["compile", "examples/ping_pong.tell", "--disasm"]);
    assert!(out.status.success(), "{}", stderr(&out));
    insta::assert_snapshot!(stdout(&out));
}

#[test]
fn compiled_images_load_back() {
    let dir = std::env::temp_dir().join(format!("tell-compile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["image.bin", "image.json"] {
        let path = dir.join(name);
        let out = tell(&[
            "compile",
            "examples/three_buyer.tell",
            "-o",
            path.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        let bytes = std::fs::read(&path).unwrap();
        let image = if name.ends_with(".json") {
            telltale_compiler::CodeImage::from_json(std::str::from_utf8(&bytes).unwrap())
        } else {
            telltale_compiler::CodeImage::from_bytes(&bytes)
        };
        assert!(image.is_ok(), "{name}: {image:?}");
    }
}

#[test]
fn a_json_image_grows_with_the_protocol_not_its_square() {
    let dir = std::env::temp_dir().join(format!("tell-compile-size-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let size = |n: &str| {
        let path = dir.join(format!("2pc-{n}.json"));
        let out = tell(&[
            "compile",
            "examples/two_phase_commit.tell",
            "--param",
            &format!("N={n}"),
            "-o",
            path.to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{}", stderr(&out));
        std::fs::metadata(&path).unwrap().len() as f64
    };
    // Twice the participants: about twice the bytes (pretty JSON grew 3.4x).
    let ratio = size("32") / size("16");
    assert!(
        ratio < 2.4,
        "32 participants take {ratio:.2}x the bytes of 16"
    );
}
