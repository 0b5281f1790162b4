# Task runner recipes. `just` is optional: every recipe is a plain cargo command.

# Every CI check: fmt, clippy, tests, docs.
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
