//! `consensus-prover`: one prover of one consensus round in its own
//! process, a protocol-machine role over the secure transport (demo keys
//! derived from the prover's index). `tests/processes.rs` runs four and
//! kills one.
//!
//! ```text
//! consensus-prover --id K --round R --members 0,1,2,3 \
//!     --peer 0=127.0.0.1:4000 --peer 1=... [--prior HEX] [--die-at-vote]
//! ```
//!
//! Prints one JSON line (`prover`, `round`, `finalized`: the state's hex or
//! null, `timed_out`, `undeliverable`) and exits 0 when the role ended;
//! exits 1 with the reason on stderr when it failed or the arguments are
//! wrong. `--die-at-vote` ends the process (exit 3, no goodbye) when it
//! would send its first vote.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use telltale_consensus_host::over_tcp::{roster, round_among, serve_prover};
use telltale_consensus_host::prover::Prover;
use telltale_consensus_host::{hex, ConsensusHost, StateHash};
use telltale_vm::{EffectHandler, SendDecision, SendDecisionInput};

/// N: the provers of the deployment.
const PROVERS: u64 = 4;

/// The command line.
struct Args {
    id: u64,
    round: u64,
    members: Vec<u64>,
    peers: BTreeMap<u64, SocketAddr>,
    prior: Option<StateHash>,
    die_at_vote: bool,
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        id: u64::MAX,
        round: 0,
        members: (0..PROVERS).collect(),
        peers: BTreeMap::new(),
        prior: None,
        die_at_vote: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("`{flag}` needs a value"));
        let number = |text: &str| {
            text.trim()
                .parse::<u64>()
                .map_err(|_| format!("`{text}` is not a number"))
        };
        match flag.as_str() {
            "--id" => args.id = number(&value()?)?,
            "--round" => args.round = number(&value()?)?,
            "--members" => {
                args.members = value()?.split(',').map(number).collect::<Result<_, _>>()?
            }
            "--peer" => {
                let text = value()?;
                let (k, address) = text
                    .split_once('=')
                    .ok_or_else(|| format!("`--peer {text}`: expected K=ADDRESS"))?;
                let address = address
                    .parse()
                    .map_err(|_| format!("`{address}` is not a socket address"))?;
                args.peers.insert(number(k)?, address);
            }
            "--prior" => args.prior = Some(state_of(&value()?)?),
            "--die-at-vote" => args.die_at_vote = true,
            other => {
                return Err(format!(
                    "unknown argument `{other}` (see the file's header)"
                ))
            }
        }
    }
    if args.id == u64::MAX {
        return Err("`--id K` is required".into());
    }
    Ok(args)
}

/// A state from its hex.
fn state_of(text: &str) -> Result<StateHash, String> {
    let bad = || format!("`{text}` is not a 64-digit hex state");
    if text.len() != 64 {
        return Err(bad());
    }
    let mut digest = [0u8; 32];
    for (i, byte) in digest.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
    }
    Ok(StateHash(digest))
}

/// The host, ending the process when it would send its first vote.
struct DiesAtVote<'h>(&'h ConsensusHost);

impl EffectHandler for DiesAtVote<'_> {
    fn send_decision(&self, input: &SendDecisionInput<'_>) -> Result<SendDecision, String> {
        let voting = input
            .choices
            .first()
            .is_some_and(|&l| input.label_name(l) == "Vote");
        if voting {
            eprintln!("consensus-prover: dying before the first vote");
            std::process::exit(3);
        }
        self.0.send_decision(input)
    }

    fn step(&self, input: &telltale_vm::InvokeInput<'_>) -> Result<telltale_vm::Value, String> {
        self.0.step(input)
    }

    fn handle_recv(&self, input: &telltale_vm::RecvInput<'_>) -> Result<(), String> {
        self.0.handle_recv(input)
    }
}

fn run(args: &Args) -> Result<String, String> {
    let (config, image) = round_among(PROVERS, args.round, &args.members)?;
    let roster = roster(&args.members, &args.peers)?;
    let address = *args
        .peers
        .get(&args.id)
        .ok_or_else(|| format!("no `--peer {}=ADDRESS` for this prover", args.id))?;
    let provers = args
        .members
        .iter()
        .map(|&k| {
            let mut prover = Prover::at_genesis(k);
            if let Some(prior) = args.prior {
                prover = Prover::new(k, prior);
            }
            (k, prover)
        })
        .collect();
    let host = ConsensusHost::with_provers(config, provers).with_members(args.members.clone());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let summary = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|e| format!("cannot listen on {address}: {e}"))?;
        let dying = DiesAtVote(&host);
        let handler: &dyn EffectHandler = if args.die_at_vote { &dying } else { &host };
        serve_prover(listener, image, &roster, &args.members, args.id, handler).await
    })?;
    let finalized = host
        .prover(args.id)
        .and_then(|p| p.finalized.flatten())
        .map(|s| hex(&s.0));
    Ok(serde_json::json!({
        "prover": args.id,
        "round": args.round,
        "finalized": finalized,
        "timed_out": summary.timed_out,
        "undeliverable": summary.undeliverable,
    })
    .to_string())
}

fn main() -> ExitCode {
    match parse().and_then(|args| run(&args)) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("consensus-prover: {e}");
            ExitCode::from(1)
        }
    }
}
