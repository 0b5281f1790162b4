//! Prints the throughput workloads' reports (run with `--release`).
//!
//! `throughput [all|pingpong|once|ring8|ring32|sessions|signed|replay] [scale]`
//! (`signed` runs ping-pong with ed25519 message signing, scale / 100;
//! `replay` runs ping-pong with replay consumption off, sequence, nullifier).

use telltale_vm::bench;

fn main() -> Result<(), telltale_vm::ProtocolMachineError> {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).map_or("all", String::as_str);
    let scale: u64 = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let all = which == "all";
    if all || which == "pingpong" {
        for messages in [1_000, scale / 10, scale, scale * 10] {
            println!("{:?}", bench::pingpong(messages)?);
        }
    }
    if which == "once" {
        println!("{:?}", bench::pingpong(scale)?);
    }
    if all || which == "ring8" {
        println!("{:?}", bench::ring(8, scale)?);
    }
    if all || which == "ring32" {
        println!("{:?}", bench::ring(32, scale)?);
    }
    if all || which == "signed" {
        println!(
            "{:?}",
            bench::pingpong_hardened(
                (scale / 100).max(2),
                bench::Hardening {
                    message_auth: telltale_vm::MessageAuth::Ed25519,
                    ..Default::default()
                },
            )?
        );
    }
    if all || which == "replay" {
        use telltale_vm::CommunicationReplayMode as Mode;
        for mode in [Mode::Off, Mode::Sequence, Mode::Nullifier] {
            println!(
                "{:?}",
                bench::pingpong_hardened(
                    scale,
                    bench::Hardening {
                        replay: mode,
                        ..Default::default()
                    },
                )?
            );
        }
    }
    if all || which == "sessions" {
        for count in [1_000, 10_000, 100_000] {
            println!("{:?}", bench::sessions(count)?);
        }
    }
    Ok(())
}
