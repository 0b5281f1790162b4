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
        let ((seconds, baseline_seconds), _handlers) =
            compare_pingpong(messages, (client, server), (raw_client, raw_server)).await?;
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
        let (client, server) = tcp_handler_pair().await?;
        let payload = frame_payload(messages)?;
        let (raw_client, raw_server) = raw_tcp_pair(payload).await?;
        let handlers = (
            HandlerPeer::new(client, "Server"),
            HandlerPeer::new(server, "Client"),
        );
        let ((seconds, baseline_seconds), (client, server)) =
            compare_pingpong(messages, handlers, (raw_client, raw_server)).await?;
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
    let workload = TCP_STREAM;
    check_messages(workload, messages)?;
    run(workload, messages, async move {
        let (sender, receiver) = tcp_handler_pair().await?;
        let payload = frame_payload(messages)?;
        let (mut raw_sender, mut raw_receiver) = raw_tcp_pair(payload).await?;
        let mut sender = HandlerPeer::new(sender, "Server");
        let mut receiver = HandlerPeer::new(receiver, "Client");
        let warm_up = messages.min(WARM_UP_MESSAGES);
        receiver = stream_round(&mut sender, receiver, warm_up).await?.0;
        raw_receiver = stream_round(&mut raw_sender, raw_receiver, warm_up)
            .await?
            .0;
        let mut seconds = Duration::ZERO;
        let mut baseline_seconds = Duration::ZERO;
        for (round, count) in rounds(messages).into_iter().enumerate() {
            for side in order(round) {
                if side == Side::Handler {
                    let (back, took) = stream_round(&mut sender, receiver, count).await?;
                    receiver = back;
                    seconds += took;
                } else {
                    let (back, took) = stream_round(&mut raw_sender, raw_receiver, count).await?;
                    raw_receiver = back;
                    baseline_seconds += took;
                }
            }
        }
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

/// VmHWM of `/proc/self/status` in KiB, 0 if unavailable.
fn peak_rss_kib() -> u64 {
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

/// The message counts of the measured rounds; they add up to `messages`.
fn rounds(messages: u64) -> Vec<u64> {
    let rounds = ROUNDS.min(messages);
    let each = messages / rounds;
    let mut counts = vec![each; rounds as usize];
    if let Some(last) = counts.last_mut() {
        *last += messages - each * rounds;
    }
    counts
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Handler,
    Baseline,
}

/// Which side goes first alternates from round to round.
fn order(round: usize) -> [Side; 2] {
    if round % 2 == 0 {
        [Side::Baseline, Side::Handler]
    } else {
        [Side::Handler, Side::Baseline]
    }
}

/// Warms up, then measures both pairs in alternating rounds; returns the
/// handler's and the baseline's total time, and the handler pair.
async fn compare_pingpong<H, B>(
    messages: u64,
    (mut client, mut server): (H, H),
    (mut raw_client, mut raw_server): (B, B),
) -> Result<((Duration, Duration), (H, H)), Failure>
where
    H: Peer,
    B: Peer,
{
    let warm_up = messages.min(WARM_UP_MESSAGES);
    server = pingpong_round(&mut client, server, warm_up).await?.0;
    raw_server = pingpong_round(&mut raw_client, raw_server, warm_up)
        .await?
        .0;
    let mut seconds = Duration::ZERO;
    let mut baseline_seconds = Duration::ZERO;
    for (round, count) in rounds(messages).into_iter().enumerate() {
        for side in order(round) {
            if side == Side::Handler {
                let (back, took) = pingpong_round(&mut client, server, count).await?;
                server = back;
                seconds += took;
            } else {
                let (back, took) = pingpong_round(&mut raw_client, raw_server, count).await?;
                raw_server = back;
                baseline_seconds += took;
            }
        }
    }
    Ok(((seconds, baseline_seconds), (client, server)))
}

/// One end of a measured pair: a handler or a raw baseline.
trait Peer: Send + 'static {
    /// What one message is on this side.
    type Item: Send;
    /// The `i`-th message the client or sender sends.
    fn item(&self, i: u64) -> Self::Item;
    /// The server's answer to a ping.
    fn answer(ping: Self::Item) -> Result<Self::Item, String>;
    /// Sends one message to the other end.
    fn send(&mut self, item: Self::Item) -> impl Future<Output = Result<(), String>> + Send;
    /// Receives one message from the other end.
    fn recv(&mut self) -> impl Future<Output = Result<Self::Item, String>> + Send;
}

/// `count` messages alternating client to server and back, starting with
/// the client (an odd count ends with an unanswered ping). The server runs
/// as its own task and is handed back; the time runs from the first send
/// until the server has handled its last message.
async fn pingpong_round<P: Peer>(
    client: &mut P,
    mut server: P,
    count: u64,
) -> Result<(P, Duration), String> {
    let task = tokio::spawn(async move {
        for k in (0..count).step_by(2) {
            let ping = server.recv().await?;
            if k + 1 < count {
                server.send(P::answer(ping)?).await?;
            }
        }
        Ok::<P, String>(server)
    });
    let start = Instant::now();
    for k in (0..count).step_by(2) {
        client.send(client.item(k)).await?;
        if k + 1 < count {
            client.recv().await?;
        }
    }
    let server = task
        .await
        .map_err(|e| format!("the server task failed: {e}"))??;
    Ok((server, start.elapsed()))
}

/// `count` messages from the sender to the receiver, which runs as its own
/// task and is handed back; the time runs from the first send until the
/// receiver has all messages.
async fn stream_round<P: Peer>(
    sender: &mut P,
    mut receiver: P,
    count: u64,
) -> Result<(P, Duration), String> {
    let task = tokio::spawn(async move {
        for _ in 0..count {
            receiver.recv().await?;
        }
        Ok::<P, String>(receiver)
    });
    let start = Instant::now();
    for i in 0..count {
        sender.send(sender.item(i)).await?;
    }
    let receiver = task
        .await
        .map_err(|e| format!("the receiver task failed: {e}"))??;
    Ok((receiver, start.elapsed()))
}

/// A [`ChoreoHandler`] talking to its one peer.
struct HandlerPeer<H> {
    handler: H,
    peer: Role,
    label: Arc<str>,
}

impl<H> HandlerPeer<H> {
    fn new(handler: H, peer: &str) -> Self {
        HandlerPeer {
            handler,
            peer: Role::new(peer),
            label: Arc::from("ping"),
        }
    }
}

impl<H: ChoreoHandler<Endpoint = ()> + 'static> Peer for HandlerPeer<H> {
    type Item = Message;

    fn item(&self, i: u64) -> Message {
        Message::new(self.label.clone(), Value::Nat(i))
    }

    fn answer(ping: Message) -> Result<Message, String> {
        match ping.value {
            Value::Nat(n) => Ok(Message::new(ping.label, Value::Nat(n.wrapping_add(1)))),
            other => Err(format!("unexpected ping payload {other}")),
        }
    }

    async fn send(&mut self, item: Message) -> Result<(), String> {
        self.handler
            .send(&mut (), &self.peer, item)
            .await
            .map_err(|e| e.to_string())
    }

    async fn recv(&mut self) -> Result<Message, String> {
        self.handler
            .recv(&mut (), &self.peer)
            .await
            .map_err(|e| e.to_string())
    }
}

/// One end of two raw unbounded mpsc channels carrying [`Message`]s.
struct MpscPeer {
    outbox: UnboundedSender<Message>,
    inbox: UnboundedReceiver<Message>,
    label: Arc<str>,
}

impl MpscPeer {
    fn new(outbox: UnboundedSender<Message>, inbox: UnboundedReceiver<Message>) -> Self {
        MpscPeer {
            outbox,
            inbox,
            label: Arc::from("ping"),
        }
    }
}

impl Peer for MpscPeer {
    type Item = Message;

    fn item(&self, i: u64) -> Message {
        Message::new(self.label.clone(), Value::Nat(i))
    }

    fn answer(ping: Message) -> Result<Message, String> {
        HandlerPeer::<InMemoryHandler>::answer(ping)
    }

    async fn send(&mut self, item: Message) -> Result<(), String> {
        self.outbox
            .send(item)
            .map_err(|_| "the peer's channel is closed".to_string())
    }

    async fn recv(&mut self) -> Result<Message, String> {
        self.inbox
            .recv()
            .await
            .ok_or_else(|| "the peer's channel is closed".to_string())
    }
}

/// One end of a raw loopback TCP connection framed with
/// [`LengthDelimitedCodec`]: it sends a fixed payload and echoes what it
/// receives, without any encoding.
struct FramedPeer {
    reader: FramedRead<OwnedReadHalf, LengthDelimitedCodec>,
    writer: FramedWrite<OwnedWriteHalf, LengthDelimitedCodec>,
    payload: Bytes,
}

impl Peer for FramedPeer {
    type Item = Bytes;

    fn item(&self, _: u64) -> Bytes {
        self.payload.clone()
    }

    fn answer(ping: Bytes) -> Result<Bytes, String> {
        Ok(ping)
    }

    async fn send(&mut self, item: Bytes) -> Result<(), String> {
        self.writer
            .send(item)
            .await
            .map_err(|e| format!("baseline send failed: {e}"))
    }

    async fn recv(&mut self) -> Result<Bytes, String> {
        match self.reader.next().await {
            Some(Ok(frame)) => Ok(frame.freeze()),
            Some(Err(e)) => Err(format!("baseline receive failed: {e}")),
            None => Err("the baseline connection closed".to_string()),
        }
    }
}

/// Bytes of the handler's frame for a message in the middle of the run:
/// the baseline sends frames of this size.
fn frame_payload(messages: u64) -> Result<Bytes, Failure> {
    let middle = messages / 2;
    let frame = Frame::Data {
        seq: middle,
        message: Message::new("ping", Value::Nat(middle)),
    };
    let bytes = frame
        .encode()
        .map_err(|e| format!("cannot encode a sample frame: {e}"))?;
    Ok(Bytes::from(bytes))
}

async fn bind_loopback() -> Result<TcpListener, Failure> {
    TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| Failure::from(format!("cannot bind 127.0.0.1:0: {e}")))
}

fn local_address(listener: &TcpListener) -> Result<std::net::SocketAddr, Failure> {
    listener
        .local_addr()
        .map_err(|e| Failure::from(format!("no local address: {e}")))
}

/// Two connected handlers, `Client` and `Server`, on ephemeral loopback
/// ports, with bounded setup and operations.
async fn tcp_handler_pair() -> Result<(TcpHandler, TcpHandler), Failure> {
    let protocol_id = GlobalType::send("Client", "Server", Label::unit("ping"), GlobalType::End)
        .content_id()
        .map_err(|e| format!("cannot hash the benchmark protocol: {e}"))?;
    let client_listener = bind_loopback().await?;
    let server_listener = bind_loopback().await?;
    let config = |role: &str, peer: &str, address| TcpConfig {
        connect_deadline: SETUP_TIMEOUT,
        send_timeout: OPERATION_TIMEOUT,
        recv_timeout: OPERATION_TIMEOUT,
        max_frame_length: MAX_FRAME_LENGTH,
        ..TcpConfig::new(
            role,
            protocol_id,
            BTreeMap::from([(Role::new(peer), address)]),
        )
    };
    let client_config = config("Client", "Server", local_address(&server_listener)?);
    let server_config = config("Server", "Client", local_address(&client_listener)?);
    let pair = tokio::try_join!(
        TcpHandler::establish(client_listener, client_config),
        TcpHandler::establish(server_listener, server_config),
    )?;
    Ok(pair)
}

/// Two ends of a raw loopback connection, set up like the handler's links
/// (no Nagle, same codec limits).
async fn raw_tcp_pair(payload: Bytes) -> Result<(FramedPeer, FramedPeer), Failure> {
    let listener = bind_loopback().await?;
    let address = local_address(&listener)?;
    let connect = async {
        tokio::try_join!(TcpStream::connect(address), async {
            listener.accept().await.map(|(stream, _)| stream)
        })
    };
    let (dialed, accepted) = tokio::time::timeout(SETUP_TIMEOUT, connect)
        .await
        .map_err(|_| format!("baseline connection not set up within {SETUP_TIMEOUT:?}"))?
        .map_err(|e| format!("baseline connection failed: {e}"))?;
    let framed = |stream: TcpStream| {
        let _ = stream.set_nodelay(true);
        let (read, write) = stream.into_split();
        let codec = || {
            LengthDelimitedCodec::builder()
                .max_frame_length(MAX_FRAME_LENGTH)
                .new_codec()
        };
        FramedPeer {
            reader: FramedRead::new(read, codec()),
            writer: FramedWrite::new(write, codec()),
            payload: payload.clone(),
        }
    };
    Ok((framed(dialed), framed(accepted)))
}

/// Closes both handlers gracefully.
async fn shutdown_pair(
    a: HandlerPeer<TcpHandler>,
    b: HandlerPeer<TcpHandler>,
) -> Result<(), Failure> {
    let (first, second) = tokio::join!(a.handler.shutdown(), b.handler.shutdown());
    first
        .and(second)
        .map_err(|e| Failure::from(format!("graceful shutdown failed: {e}")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn assert_sane(report: &AsyncBenchReport, workload: &str, baseline: &str, messages: u64) {
        assert_eq!(report.workload, workload);
        assert_eq!(report.baseline, baseline);
        assert_eq!(report.messages, messages);
        for value in [
            report.seconds,
            report.msgs_per_sec,
            report.baseline_seconds,
            report.baseline_msgs_per_sec,
            report.ratio_to_baseline,
        ] {
            assert!(value.is_finite() && value > 0.0, "{report:?}");
        }
        let rate = messages as f64 / report.seconds;
        assert!(
            (report.msgs_per_sec - rate).abs() <= 1e-6 * rate,
            "{report:?}"
        );
        let ratio = report.msgs_per_sec / report.baseline_msgs_per_sec;
        assert!((report.ratio_to_baseline - ratio).abs() <= 1e-9 * ratio);
        let json = serde_json::to_value(report).unwrap();
        assert_eq!(json["workload"], workload);
        assert_eq!(json["messages"], messages);
    }

    #[test]
    fn async_pingpong_reports_both_sides() {
        let report = async_pingpong(200).unwrap();
        assert_sane(&report, "async-pingpong", "tokio-mpsc", 200);
    }

    #[test]
    fn tcp_pingpong_reports_both_sides() {
        let report = tcp_pingpong(200).unwrap();
        assert_sane(&report, "tcp-pingpong", "tokio-length-delimited", 200);
        // An odd count ends with an unanswered ping and still completes.
        assert_eq!(tcp_pingpong(7).unwrap().messages, 7);
    }

    #[test]
    fn tcp_stream_reports_both_sides() {
        let report = tcp_stream(200).unwrap();
        assert_sane(&report, "tcp-stream", "tokio-length-delimited", 200);
    }

    #[test]
    fn zero_messages_is_an_error() {
        for result in [async_pingpong(0), tcp_pingpong(0), tcp_stream(0)] {
            assert!(matches!(result, Err(TransportError::Bench { .. })));
        }
    }

    #[test]
    fn rounds_add_up() {
        assert_eq!(rounds(3), vec![1, 1, 1]);
        assert_eq!(rounds(12), vec![2, 2, 2, 2, 4]);
        assert_eq!(rounds(200_000).iter().sum::<u64>(), 200_000);
    }
}
