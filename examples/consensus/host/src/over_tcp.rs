//! One prover of one round as a protocol-machine role over the secure
//! transport: the round's image, the roster and the demo keys, and serving
//! the role — what the `consensus-prover` binary and the TCP tests share.

use crate::config::RoundConfig;
use ed25519_dalek::SigningKey;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;
use telltale_simulator::protocol::load_protocol;
use telltale_transport::{serve_machine_role, MachineRoleSummary, Roster, RosterEntry, TcpConfig};
use telltale_types::Role;
use telltale_vm::{CodeImage, Config, EffectHandler};

/// The transport key of prover `k` in the demos and tests (derived from its
/// index; a deployment loads key files, see docs/runtime.md).
pub fn demo_key(k: u64) -> SigningKey {
    SigningKey::from_bytes(&[k as u8 + 1; 32])
}

/// One round among `members` (the session's `Provers<i>` is prover
/// `members[i]`): its settings and its compiled protocol.
pub fn round_among(
    provers: u64,
    round: u64,
    members: &[u64],
) -> Result<(RoundConfig, CodeImage), String> {
    let config = RoundConfig::among(provers, round, members)
        .ok_or_else(|| format!("members {members:?} are not provers of a round of {provers}"))?;
    let position = members
        .iter()
        .position(|&k| k == config.leader)
        .ok_or("the leader is not a member")?;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../consensus.tell");
    let params = BTreeMap::from([
        ("N".to_string(), members.len() as u64),
        ("L".to_string(), position as u64),
    ]);
    let image = load_protocol(&path, &params).map_err(|e| e.to_string())?;
    Ok((config, image))
}

/// The roster of a round among `members`, listening at `addresses` (by
/// prover), with their demo keys pinned.
pub fn roster(members: &[u64], addresses: &BTreeMap<u64, SocketAddr>) -> Result<Roster, String> {
    let mut roster = Roster::default();
    for (i, &k) in members.iter().enumerate() {
        let address = *addresses
            .get(&k)
            .ok_or_else(|| format!("no address for prover {k}"))?;
        roster.roles.insert(
            Role::new(format!("Provers{i}")),
            RosterEntry {
                address,
                public_key: Some(demo_key(k).verifying_key()),
            },
        );
    }
    Ok(roster)
}

/// Serves prover `k` (`Provers<i>` of the session) of the round among
/// `members` with `host` on `listener`: connects to the others, runs the
/// role and shuts down. Errors are rendered for people.
pub async fn serve_prover(
    listener: tokio::net::TcpListener,
    image: CodeImage,
    roster: &Roster,
    members: &[u64],
    k: u64,
    host: &dyn EffectHandler,
) -> Result<MachineRoleSummary, String> {
    let i = members
        .iter()
        .position(|&m| m == k)
        .ok_or_else(|| format!("prover {k} is not a member of the round"))?;
    let role = format!("Provers{i}");
    let id = image
        .global
        .as_ref()
        .and_then(|g| g.content_id().ok())
        .ok_or("the round's image has no global type")?;
    let (mut tcp, _) = TcpConfig::from_roster(role.as_str(), id, roster, Some(demo_key(k)))
        .map_err(|e| e.to_string())?;
    tcp.connect_deadline = Duration::from_secs(20);
    tcp.recv_timeout = Duration::from_secs(5);
    serve_machine_role(listener, tcp, image, &role, host, Config::default())
        .await
        .map_err(|e| e.to_string())
}
