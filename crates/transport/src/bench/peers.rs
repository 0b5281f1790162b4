//! The two sides of every bench workload: the peers (Telltale handlers and
//! raw tokio baselines), their setup on loopback, and the timed rounds.

use super::*;

/// The message counts of the measured rounds; they add up to `messages`.
pub(super) fn rounds(messages: u64) -> Vec<u64> {
    let rounds = ROUNDS.min(messages);
    let each = messages / rounds;
    let mut counts = vec![each; rounds as usize];
    if let Some(last) = counts.last_mut() {
        *last += messages - each * rounds;
    }
    counts
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Side {
    Handler,
    Baseline,
}

/// Which side goes first alternates from round to round.
pub(super) fn order(round: usize) -> [Side; 2] {
    if round % 2 == 0 {
        [Side::Baseline, Side::Handler]
    } else {
        [Side::Handler, Side::Baseline]
    }
}

/// How the two ends of a pair exchange messages in a round.
#[derive(Clone, Copy)]
pub(super) enum Exchange {
    /// The first end pings, the second answers each ping.
    PingPong,
    /// The first end sends, the second receives them all.
    Stream,
}

impl Exchange {
    /// One round of `count` messages between `first` and `second`, timed.
    async fn round<P: Peer>(
        self,
        first: &mut P,
        second: P,
        count: u64,
    ) -> Result<(P, Duration), String> {
        match self {
            Exchange::PingPong => pingpong_round(first, second, count).await,
            Exchange::Stream => stream_round(first, second, count).await,
        }
    }
}

/// Warms up, then measures both pairs in alternating rounds; returns the
/// handler's and the baseline's total time, and the handler pair.
pub(super) async fn compare<H, B>(
    exchange: Exchange,
    messages: u64,
    (mut first, mut second): (H, H),
    (mut raw_first, mut raw_second): (B, B),
) -> Result<((Duration, Duration), (H, H)), Failure>
where
    H: Peer,
    B: Peer,
{
    let warm_up = messages.min(WARM_UP_MESSAGES);
    second = exchange.round(&mut first, second, warm_up).await?.0;
    raw_second = exchange.round(&mut raw_first, raw_second, warm_up).await?.0;
    let mut seconds = Duration::ZERO;
    let mut baseline_seconds = Duration::ZERO;
    for (round, count) in rounds(messages).into_iter().enumerate() {
        for side in order(round) {
            if side == Side::Handler {
                let (back, took) = exchange.round(&mut first, second, count).await?;
                second = back;
                seconds += took;
            } else {
                let (back, took) = exchange.round(&mut raw_first, raw_second, count).await?;
                raw_second = back;
                baseline_seconds += took;
            }
        }
    }
    Ok(((seconds, baseline_seconds), (first, second)))
}

/// One end of a measured pair: a handler or a raw baseline.
pub(super) trait Peer: Send + 'static {
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
    /// Pushes out what the last sends left buffered (a program's end).
    fn flush(&mut self) -> impl Future<Output = Result<(), String>> + Send {
        async { Ok(()) }
    }
}

/// A handler whose sends may wait in a buffer until flushed.
pub(super) trait FlushSends: Send {
    /// Writes what is buffered.
    fn flush_sends(&mut self) -> impl Future<Output = Result<(), String>> + Send;
}

impl FlushSends for TcpHandler {
    async fn flush_sends(&mut self) -> Result<(), String> {
        self.flush().await.map_err(|e| e.to_string())
    }
}

impl FlushSends for InMemoryHandler {
    async fn flush_sends(&mut self) -> Result<(), String> {
        Ok(())
    }
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
        server.flush().await?;
        Ok::<P, String>(server)
    });
    let start = Instant::now();
    for k in (0..count).step_by(2) {
        client.send(client.item(k)).await?;
        if k + 1 < count {
            client.recv().await?;
        }
    }
    client.flush().await?;
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
    sender.flush().await?;
    let receiver = task
        .await
        .map_err(|e| format!("the receiver task failed: {e}"))??;
    Ok((receiver, start.elapsed()))
}

/// A [`ChoreoHandler`] talking to its one peer.
pub(super) struct HandlerPeer<H> {
    handler: H,
    peer: Role,
    label: Arc<str>,
}

impl<H> HandlerPeer<H> {
    pub(super) fn new(handler: H, peer: &str) -> Self {
        HandlerPeer {
            handler,
            peer: Role::new(peer),
            label: Arc::from("ping"),
        }
    }
}

impl<H: ChoreoHandler<Endpoint = ()> + FlushSends + 'static> Peer for HandlerPeer<H> {
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

    async fn flush(&mut self) -> Result<(), String> {
        self.handler.flush_sends().await
    }
}

/// One end of two raw unbounded mpsc channels carrying [`Message`]s.
pub(super) struct MpscPeer {
    outbox: UnboundedSender<Message>,
    inbox: UnboundedReceiver<Message>,
    label: Arc<str>,
}

impl MpscPeer {
    pub(super) fn new(outbox: UnboundedSender<Message>, inbox: UnboundedReceiver<Message>) -> Self {
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
pub(super) struct FramedPeer {
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
pub(super) fn frame_payload(messages: u64) -> Result<Bytes, Failure> {
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

pub(super) async fn bind_loopback() -> Result<TcpListener, Failure> {
    TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| Failure::from(format!("cannot bind 127.0.0.1:0: {e}")))
}

pub(super) fn local_address(listener: &TcpListener) -> Result<std::net::SocketAddr, Failure> {
    listener
        .local_addr()
        .map_err(|e| Failure::from(format!("no local address: {e}")))
}

/// Two connected handlers, `Client` and `Server`, on ephemeral loopback
/// ports, with bounded setup and operations.
pub(super) async fn tcp_handler_pair(secure: bool) -> Result<(TcpHandler, TcpHandler), Failure> {
    let protocol_id = GlobalType::send("Client", "Server", Label::unit("ping"), GlobalType::End)
        .content_id()
        .map_err(|e| format!("cannot hash the benchmark protocol: {e}"))?;
    let client_listener = bind_loopback().await?;
    let server_listener = bind_loopback().await?;
    // Fixed keys: a benchmark measures the channel, not key management.
    let key =
        |role: &str| ed25519_dalek::SigningKey::from_bytes(&[u8::from(role == "Server") + 1; 32]);
    let config = |role: &str, peer: &str, address| {
        let mut config = TcpConfig {
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
        if secure {
            config.identity = Some(key(role));
            config
                .peer_keys
                .insert(Role::new(peer), key(peer).verifying_key());
        } else {
            config = config.insecure();
        }
        config
    };
    let client_config = config("Client", "Server", local_address(&server_listener)?);
    let server_config = config("Server", "Client", local_address(&client_listener)?);
    let (mut client, mut server) = tokio::try_join!(
        TcpHandler::establish(client_listener, client_config),
        TcpHandler::establish(server_listener, server_config),
    )?;
    // As `serve` runs a role: every exchange receives or flushes after it
    // sends.
    client.coalesce_writes(true);
    server.coalesce_writes(true);
    Ok((client, server))
}

/// Two ends of a raw loopback connection, set up like the handler's links
/// (no Nagle, same codec limits).
pub(super) async fn raw_tcp_pair(payload: Bytes) -> Result<(FramedPeer, FramedPeer), Failure> {
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
pub(super) async fn shutdown_pair(
    a: HandlerPeer<TcpHandler>,
    b: HandlerPeer<TcpHandler>,
) -> Result<(), Failure> {
    let (first, second) = tokio::join!(a.handler.shutdown(), b.handler.shutdown());
    first
        .and(second)
        .map_err(|e| Failure::from(format!("graceful shutdown failed: {e}")))
}
