//! Throughput workloads of the async runtime and the TCP transport, each
//! measured against a raw tokio baseline in the same call.
//!
//! These are the library side of `tell bench --workload async-pingpong`,
//! `tcp-pingpong` and `tcp-stream`. Every workload:
//!
//! * runs on its own current-thread tokio runtime, one task per role, and
//!   (for TCP) on 127.0.0.1 with ephemeral ports only;
//! * first warms both sides up with a few messages, then measures the
//!   handler and the baseline in alternating rounds, so that load changes on
//!   a shared machine hit both about equally;
//! * is bounded: TCP operations carry per-operation timeouts and the whole
//!   workload an overall deadline; every failure is a
//!   [`TransportError`], never a panic or a hang.
//!
//! Build in release mode for meaningful numbers.

use crate::config::TcpConfig;
use crate::error::TransportError;
use crate::frame::Frame;
use crate::tcp_handler::TcpHandler;
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use telltale_choreography::{ChoreoHandler, InMemoryHandler, Message, Value};
use telltale_types::{GlobalType, Label, Role};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};
use tokio_util::codec::{FramedRead, FramedWrite, LengthDelimitedCodec};

/// Name of the in-memory workload.
pub const ASYNC_PINGPONG: &str = "async-pingpong";
/// Name of the TCP ping-pong workload.
pub const TCP_PINGPONG: &str = "tcp-pingpong";
/// Name of the TCP one-way stream workload.
pub const TCP_STREAM: &str = "tcp-stream";
/// Name of the TCP one-way stream workload on a secure channel.
pub const TCP_STREAM_SECURE: &str = "tcp-stream-secure";

/// How many alternating measured rounds each side runs (fewer if there are
/// fewer messages).
const ROUNDS: u64 = 5;
/// Messages each side exchanges before measuring (fewer if fewer are asked).
const WARM_UP_MESSAGES: u64 = 2_000;
/// Deadline of every TCP connection setup.
const SETUP_TIMEOUT: Duration = Duration::from_secs(10);
/// Deadline of every single TCP send or receive of `TcpHandler`.
const OPERATION_TIMEOUT: Duration = Duration::from_secs(10);
/// Largest frame of both the handler and the baseline codecs.
const MAX_FRAME_LENGTH: usize = 8 * 1024 * 1024;

/// What one workload measured: the Telltale side and its raw baseline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AsyncBenchReport {
    /// Workload name: `async-pingpong`, `tcp-pingpong` or `tcp-stream`.
    pub workload: String,
    /// Messages measured on each side (warm-up excluded); a ping-pong round
    /// trip counts as two.
    pub messages: u64,
    /// Wall-clock seconds the Telltale side took for `messages` messages.
    pub seconds: f64,
    /// Messages per second of the Telltale side.
    pub msgs_per_sec: f64,
    /// Baseline name: `tokio-mpsc` or `tokio-length-delimited`.
    pub baseline: String,
    /// Wall-clock seconds the baseline took for the same messages.
    pub baseline_seconds: f64,
    /// Messages per second of the baseline.
    pub baseline_msgs_per_sec: f64,
    /// `msgs_per_sec / baseline_msgs_per_sec`: 1 means as fast as the
    /// baseline, 0.5 half as fast (0 if the baseline rate is 0).
    pub ratio_to_baseline: f64,
    /// Peak resident set size of the process (VmHWM) in KiB after the run,
    /// 0 if unavailable.
    pub peak_rss_kib: u64,
}

/// In-memory ping-pong: two roles on a current-thread runtime exchange
/// `messages` messages (a round trip is two) through [`InMemoryHandler`]s
/// via [`ChoreoHandler`], against two raw `tokio::sync::mpsc` unbounded
/// channels carrying the same [`Message`] values (baseline `tokio-mpsc`).
///
/// Fails with [`TransportError::Bench`] if `messages` is 0 or a side fails.
pub fn async_pingpong(messages: u64) -> Result<AsyncBenchReport, TransportError> {
    let workload = ASYNC_PINGPONG;
    check_messages(workload, messages)?;
    run(workload, messages, async move {
        let mut network = InMemoryHandler::network(["Client", "Server"]);
        let mut take = |name: &str| {
            network
                .remove(&Role::new(name))
                .ok_or_else(|| Failure::from(format!("no in-memory handler for {name}")))
        };
        let client = HandlerPeer::new(take("Client")?, "Server");
        let server = HandlerPeer::new(take("Server")?, "Client");
        let (to_server, server_inbox) = unbounded_channel();
        let (to_client, client_inbox) = unbounded_channel();
        let raw_client = MpscPeer::new(to_server, client_inbox);
        let raw_server = MpscPeer::new(to_client, server_inbox);
        let ((seconds, baseline_seconds), _handlers) = compare(
            Exchange::PingPong,
            messages,
            (client, server),
            (raw_client, raw_server),
        )
        .await?;
        Ok(report(
            workload,
            messages,
            seconds,
            "tokio-mpsc",
            baseline_seconds,
        ))
    })
}

/// TCP ping-pong: two [`TcpHandler`]s connected over 127.0.0.1 (ephemeral
/// ports, handshake included, not timed) exchange `messages` messages (a
/// round trip is two), against a raw tokio echo over a loopback connection
/// framed with [`LengthDelimitedCodec`], whose frames have the size of the
/// handler's encoded frames (baseline `tokio-length-delimited`).
///
/// Fails with [`TransportError::Bench`] if `messages` is 0 or a side fails,
/// and with the setup's own error if the handlers cannot connect.
pub fn tcp_pingpong(messages: u64) -> Result<AsyncBenchReport, TransportError> {
    let workload = TCP_PINGPONG;
    check_messages(workload, messages)?;
    run(workload, messages, async move {
        let (client, server) = tcp_handler_pair(false).await?;
        let payload = frame_payload(messages)?;
        let (raw_client, raw_server) = raw_tcp_pair(payload).await?;
        let handlers = (
            HandlerPeer::new(client, "Server"),
            HandlerPeer::new(server, "Client"),
        );
        let ((seconds, baseline_seconds), (client, server)) = compare(
            Exchange::PingPong,
            messages,
            handlers,
            (raw_client, raw_server),
        )
        .await?;
        shutdown_pair(client, server).await?;
        Ok(report(
            workload,
            messages,
            seconds,
            "tokio-length-delimited",
            baseline_seconds,
        ))
    })
}

/// TCP one-way stream: one [`TcpHandler`] sends `messages` small messages to
/// another over 127.0.0.1, which receives them all, against a raw
/// [`LengthDelimitedCodec`] stream over loopback with frames of the same
/// size (baseline `tokio-length-delimited`). Both sides send (and so flush)
/// one frame at a time; the time runs until the receiver has all of them.
///
/// Fails with [`TransportError::Bench`] if `messages` is 0 or a side fails,
/// and with the setup's own error if the handlers cannot connect.
pub fn tcp_stream(messages: u64) -> Result<AsyncBenchReport, TransportError> {
    stream_workload(TCP_STREAM, messages, false)
}

/// The same stream on a secure channel (Noise, with fixed benchmark keys),
/// against the same raw plaintext baseline: what encryption costs.
pub fn tcp_stream_secure(messages: u64) -> Result<AsyncBenchReport, TransportError> {
    stream_workload(TCP_STREAM_SECURE, messages, true)
}

/// A one-way stream between two handlers, plaintext or secure.
fn stream_workload(
    workload: &'static str,
    messages: u64,
    secure: bool,
) -> Result<AsyncBenchReport, TransportError> {
    check_messages(workload, messages)?;
    run(workload, messages, async move {
        let (sender, receiver) = tcp_handler_pair(secure).await?;
        let payload = frame_payload(messages)?;
        let (raw_sender, raw_receiver) = raw_tcp_pair(payload).await?;
        let handlers = (
            HandlerPeer::new(sender, "Server"),
            HandlerPeer::new(receiver, "Client"),
        );
        let ((seconds, baseline_seconds), (sender, receiver)) = compare(
            Exchange::Stream,
            messages,
            handlers,
            (raw_sender, raw_receiver),
        )
        .await?;
        shutdown_pair(sender, receiver).await?;
        Ok(report(
            workload,
            messages,
            seconds,
            "tokio-length-delimited",
            baseline_seconds,
        ))
    })
}

/// Why a workload stopped: a transport setup error kept as is, or anything
/// else as text.
enum Failure {
    Transport(TransportError),
    Other(String),
}

impl From<TransportError> for Failure {
    fn from(error: TransportError) -> Self {
        Failure::Transport(error)
    }
}

impl From<String> for Failure {
    fn from(reason: String) -> Self {
        Failure::Other(reason)
    }
}

fn bench_error(workload: &str, reason: impl Into<String>) -> TransportError {
    TransportError::Bench {
        workload: workload.to_string(),
        reason: reason.into(),
    }
}

fn check_messages(workload: &str, messages: u64) -> Result<(), TransportError> {
    if messages == 0 {
        return Err(bench_error(
            workload,
            "the message count must be at least 1",
        ));
    }
    Ok(())
}

/// Runs `body` on a fresh current-thread runtime under an overall deadline
/// of 60 s plus 200 µs per message. Dropping the runtime at the end cancels
/// any task still running after a failure.
fn run<F>(workload: &str, messages: u64, body: F) -> Result<AsyncBenchReport, TransportError>
where
    F: Future<Output = Result<AsyncBenchReport, Failure>>,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| bench_error(workload, format!("cannot start a tokio runtime: {e}")))?;
    let deadline = Duration::from_secs(60) + Duration::from_nanos(messages.saturating_mul(200_000));
    match runtime.block_on(async { tokio::time::timeout(deadline, body).await }) {
        Ok(Ok(report)) => Ok(report),
        Ok(Err(Failure::Transport(error))) => Err(error),
        Ok(Err(Failure::Other(reason))) => Err(bench_error(workload, reason)),
        Err(_) => Err(bench_error(
            workload,
            format!("did not finish within {deadline:?}"),
        )),
    }
}

fn report(
    workload: &str,
    messages: u64,
    seconds: Duration,
    baseline: &str,
    baseline_seconds: Duration,
) -> AsyncBenchReport {
    let rate = |d: Duration| {
        let s = d.as_secs_f64();
        if s > 0.0 {
            messages as f64 / s
        } else {
            0.0
        }
    };
    let msgs_per_sec = rate(seconds);
    let baseline_msgs_per_sec = rate(baseline_seconds);
    AsyncBenchReport {
        workload: workload.to_string(),
        messages,
        seconds: seconds.as_secs_f64(),
        msgs_per_sec,
        baseline: baseline.to_string(),
        baseline_seconds: baseline_seconds.as_secs_f64(),
        baseline_msgs_per_sec,
        ratio_to_baseline: if baseline_msgs_per_sec > 0.0 {
            msgs_per_sec / baseline_msgs_per_sec
        } else {
            0.0
        },
        peak_rss_kib: peak_rss_kib(),
    }
}

/// VmHWM of `/proc/self/status` in KiB, 0 if unavailable: the process's
/// peak memory, for the workloads that report it.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find(|line| line.starts_with("VmHWM:"))
                .and_then(|line| line.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

mod peers;
#[cfg(test)]
mod tests;

use peers::*;
