//! `tell serve` end to end: roles as separate processes over loopback TCP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;
use support::workspace_root;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tell-serve-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A roster with a free loopback port per role.
fn write_roster(dir: &Path, roles: &[&str]) -> PathBuf {
    let listeners: Vec<TcpListener> = roles
        .iter()
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let mut text = String::new();
    for (role, listener) in roles.iter().zip(&listeners) {
        let address = listener.local_addr().unwrap();
        text.push_str(&format!("[roles.{role}]\naddress = \"{address}\"\n\n"));
    }
    drop(listeners);
    let path = dir.join("roster.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn spawn_role(protocol: &Path, role: &str, roster: &Path, dir: &Path, extra: &[&str]) -> Child {
    let out = std::fs::File::create(dir.join(format!("{role}.out"))).unwrap();
    let err = std::fs::File::create(dir.join(format!("{role}.err"))).unwrap();
    Command::new(env!("CARGO_BIN_EXE_tell"))
        .arg("serve")
        .arg(protocol)
        .args(["--role", role, "--roster"])
        .arg(roster)
        .args(extra)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap()
}

/// Waits for a child with a deadline, killing it if the deadline passes.
fn wait_with_deadline(child: &mut Child, deadline: Duration) -> Option<i32> {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Starts every role with `options` and waits for each to finish with
/// exit 0 (its stderr shown otherwise).
fn run_all(protocol: &Path, roles: &[&str], roster: &Path, dir: &Path, options: &[&str]) {
    run_each(protocol, roles, roster, dir, |_| {
        options.iter().map(|o| o.to_string()).collect()
    });
}

/// Like [`run_all`], with each role's own options. A free port picked
/// for the roster can be taken by another test's connection before the
/// role binds it: then the roster gets fresh ports and the run starts
/// over (a few times at most).
fn run_each(
    protocol: &Path,
    roles: &[&str],
    roster: &Path,
    dir: &Path,
    options: impl Fn(&str) -> Vec<String>,
) {
    for attempt in 1..=3 {
        let mut children: Vec<Child> = roles
            .iter()
            .map(|role| {
                let options = options(role);
                let options: Vec<&str> = options.iter().map(String::as_str).collect();
                spawn_role(protocol, role, roster, dir, &options)
            })
            .collect();
        let codes: Vec<Option<i32>> = children
            .iter_mut()
            .map(|child| wait_with_deadline(child, Duration::from_secs(60)))
            .collect();
        let errors: Vec<String> = roles
            .iter()
            .map(|role| read(dir, &format!("{role}.err")))
            .collect();
        let port_taken = errors.iter().any(|e| e.contains("Address already in use"));
        if port_taken && attempt < 3 {
            fresh_ports(roster);
            continue;
        }
        for ((role, code), err) in roles.iter().zip(codes).zip(errors) {
            assert_eq!(code, Some(0), "{role} failed:\n{err}");
        }
        return;
    }
}

/// Gives every role of `roster` a new free loopback port.
fn fresh_ports(roster: &Path) {
    let text = std::fs::read_to_string(roster).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        if line.starts_with("address = ") {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            out.push_str(&format!("address = \"{}\"", listener.local_addr().unwrap()));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    std::fs::write(roster, out).unwrap();
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_default()
}

#[test]
fn three_buyers_run_as_three_processes() {
    let dir = scratch_dir("three-buyer");
    let roles = ["Alice", "Bob", "Seller"];
    let roster = write_roster(&dir, &roles);
    let protocol = workspace_root().join("examples/three_buyer.tell");
    let options = ["--timeout", "20", "--seed", "1", "--insecure"];
    run_all(&protocol, &roles, &roster, &dir, &options);
    let alice = read(&dir, "Alice.out");
    let seller = read(&dir, "Seller.out");
    // Every message Alice sends to the seller is received by the seller, in order.
    let sent: Vec<String> = alice
        .lines()
        .filter_map(|l| l.strip_prefix("Alice -> Seller : "))
        .map(str::to_string)
        .collect();
    let received: Vec<String> = seller
        .lines()
        .filter_map(|l| l.strip_prefix("Seller <- Alice : "))
        .map(str::to_string)
        .collect();
    assert!(!sent.is_empty(), "{alice}");
    assert_eq!(sent, received);
    for role in roles {
        assert!(read(&dir, &format!("{role}.out")).contains(&format!("{role} finished after")));
    }
}

/// Two roles of an endless rally as processes (with `options`); one is
/// killed mid-run, and the survivor must fail naming it, not hang.
fn a_killed_peer_is_reported(name: &str, options: &[&str]) {
    let dir = scratch_dir(name);
    let protocol = dir.join("forever.tell");
    std::fs::write(
        &protocol,
        "protocol Forever =\n  roles Ticker, Tocker\n  loop forever\n    Ticker -> Tocker : Tick\n    Tocker -> Ticker : Tock\n",
    )
    .unwrap();
    let roster = write_roster(&dir, &["Ticker", "Tocker"]);
    let (mut ticker, mut tocker) = (1..=3)
        .find_map(|attempt| {
            let mut ticker = spawn_role(&protocol, "Ticker", &roster, &dir, options);
            let mut tocker = spawn_role(&protocol, "Tocker", &roster, &dir, options);
            // Let the two exchange messages (then one is killed mid-run).
            let start = Instant::now();
            while read(&dir, "Ticker.out").lines().count() < 20
                && start.elapsed() < Duration::from_secs(30)
            {
                std::thread::sleep(Duration::from_millis(20));
            }
            // A port another test took first: fresh ports, start over.
            let taken = ["Ticker.err", "Tocker.err"]
                .iter()
                .any(|f| read(&dir, f).contains("Address already in use"));
            if taken && attempt < 3 {
                for child in [&mut ticker, &mut tocker] {
                    let _ = child.kill();
                    let _ = child.wait();
                }
                fresh_ports(&roster);
                return None;
            }
            Some((ticker, tocker))
        })
        .unwrap();
    tocker.kill().unwrap();
    let _ = tocker.wait();
    let code = wait_with_deadline(&mut ticker, Duration::from_secs(15));
    let err = read(&dir, "Ticker.err");
    assert_eq!(code, Some(1), "the survivor must fail, not hang:\n{err}");
    assert!(
        err.contains("Tocker"),
        "the error names the lost peer: {err}"
    );
    assert!(err.to_lowercase().contains("disconnect"), "{err}");
}

#[test]
fn a_killed_peer_is_reported_as_a_disconnect() {
    a_killed_peer_is_reported("kill", &["--timeout", "10", "--insecure"]);
}

/// Runs the nested-loops fixture as two processes with `extra` options and
/// returns what A sent.
fn nested_loops_over_tcp(name: &str, extra: &[&str]) -> Vec<String> {
    let dir = scratch_dir(name);
    let roles = ["A", "B"];
    let roster = write_roster(&dir, &roles);
    let protocol = workspace_root().join("crates/cli/tests/fixtures/nested_loops.tell");
    let options = [
        &["--timeout", "20", "--max-steps", "50", "--insecure"],
        extra,
    ]
    .concat();
    run_all(&protocol, &roles, &roster, &dir, &options);
    read(&dir, "A.out")
        .lines()
        .filter_map(|l| l.strip_prefix("A -> B : "))
        .map(str::to_string)
        .collect()
}

#[test]
fn nested_loops_end_over_tcp_with_the_rule_of_tell_run() {
    // With no free iterations the outer loop's exit holds the inner loop:
    // the decider must not mistake its `continue` for looping back.
    assert_eq!(
        nested_loops_over_tcp("nested-0", &["--free-iterations", "0"]),
        ["Finish", "Quit"]
    );
    assert_eq!(
        nested_loops_over_tcp("nested-1", &[]),
        ["Again", "Finish", "Next", "Quit"]
    );
}

/// `tell keygen` for `role` into `dir/ROLE.key`; the roster entry it prints.
fn keygen(dir: &Path, role: &str, address: &str) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_tell"))
        .args(["keygen", "--out"])
        .arg(dir.join(format!("{role}.key")))
        .args(["--role", role, "--address", address])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn keygen_writes_a_private_key_once_and_prints_the_roster_entry() {
    let dir = scratch_dir("keygen");
    let entry = keygen(&dir, "Alice", "127.0.0.1:7001");
    assert!(
        entry.starts_with("[roles.Alice]\naddress = \"127.0.0.1:7001\"\npublic_key = \""),
        "{entry}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("Alice.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = Command::new(env!("CARGO_BIN_EXE_tell"))
        .args(["keygen", "--out"])
        .arg(dir.join("Alice.key"))
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwritten"));
}

#[test]
fn roles_with_keys_run_authenticated_and_a_missing_or_wrong_key_is_refused() {
    let dir = scratch_dir("keys");
    let roles = ["Pinger", "Ponger"];
    let plain = write_roster(&dir, &roles);
    // The same addresses, each entry with the public key of a fresh key.
    let text = std::fs::read_to_string(&plain).unwrap();
    let mut roster = String::new();
    for role in roles {
        let address = text
            .split(&format!("[roles.{role}]\naddress = \""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap()
            .to_string();
        roster.push_str(&keygen(&dir, role, &address));
        roster.push('\n');
    }
    let roster_path = dir.join("keyed.toml");
    std::fs::write(&roster_path, roster).unwrap();
    let protocol = workspace_root().join("examples/ping_pong.tell");

    // Each refused start exits 2 before connecting, saying what is missing.
    let refused = |roster: &Path, extra: &[&str], says: &str| {
        let mut child = spawn_role(&protocol, "Pinger", roster, &dir, extra);
        assert_eq!(
            wait_with_deadline(&mut child, Duration::from_secs(30)),
            Some(2)
        );
        let err = read(&dir, "Pinger.err");
        assert!(err.contains(says), "{err}");
    };
    // A roster without keys runs only when plaintext is asked for.
    refused(&plain, &["--timeout", "5"], "--insecure");
    // Without its key, a role of a keyed roster does not start.
    refused(&roster_path, &["--timeout", "5"], "--key");
    // With another role's key, neither.
    let wrong = dir.join("Ponger.key");
    refused(
        &roster_path,
        &["--key", wrong.to_str().unwrap()],
        "not the one the roster pins",
    );

    // With their own keys, both run to the end.
    run_each(&protocol, &roles, &roster_path, &dir, |role| {
        let key = dir.join(format!("{role}.key"));
        ["--timeout", "20", "--key", key.to_str().unwrap()]
            .map(str::to_string)
            .to_vec()
    });
}

#[test]
fn three_buyers_run_as_three_machine_role_processes() {
    let dir = scratch_dir("three-buyer-machine");
    let roles = ["Alice", "Bob", "Seller"];
    let roster = write_roster(&dir, &roles);
    let protocol = workspace_root().join("examples/three_buyer.tell");
    let options = ["--timeout", "20", "--insecure", "--engine", "machine"];
    run_all(&protocol, &roles, &roster, &dir, &options);
    for role in roles {
        let out = read(&dir, &format!("{role}.out"));
        assert!(
            out.contains(&format!("{role} finished on the protocol machine")),
            "{out}"
        );
    }
    // The machine's trace lines: Alice's sends to the seller are the
    // seller's receives from Alice.
    let alice = read(&dir, "Alice.out");
    let seller = read(&dir, "Seller.out");
    let sent = alice
        .lines()
        .filter(|l| l.contains("Alice -> Seller"))
        .count();
    let received = seller
        .lines()
        .filter(|l| l.contains("Seller receives") && l.contains("from Alice"))
        .count();
    assert!(sent > 0, "{alice}");
    assert_eq!(sent, received, "{alice}\n{seller}");
}

#[test]
fn a_killed_machine_role_is_reported_as_a_disconnect() {
    a_killed_peer_is_reported(
        "kill-machine",
        &["--timeout", "10", "--insecure", "--engine", "machine"],
    );
}
