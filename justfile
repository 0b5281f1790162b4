# Task runner recipes. `just` is optional: every recipe is a plain cargo command.

# Every CI check (see xtask/src/main.rs): fmt, clippy, tests, the
# shared-absent rule, docs, the README example, the bundled examples.
ci:
    cargo xtask ci

# The whole test suite.
test:
    cargo test --workspace

# Criterion benchmarks (release build).
bench:
    cargo bench --workspace

# Format the workspace.
fmt:
    cargo fmt --all

# Generate a host crate from FILE's `effect` declarations (docs/effects.md):
# host traits, the machine adapter, a scripted host, smoke tests. Extra
# flags go through, e.g. `just effect-scaffold FILE OUT --force`.
effect-scaffold FILE OUT="work/effect_handler_scaffold" *FLAGS:
    cargo run --quiet -p telltale-effect-scaffold --bin effect-scaffold -- {{FILE}} --out {{OUT}} {{FLAGS}}

# Run a simulation scenario, print its JSON report (docs/simulator.md); extra args go to
# `tell sim`, which is `sim-run` plus the bundled Rust hosts (`[handler] kind = "host"`).
sim-run SCENARIO *ARGS:
    cargo run -q --release -p telltale-cli --bin tell -- sim {{SCENARIO}} {{ARGS}}
