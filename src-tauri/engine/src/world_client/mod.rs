//! A headless world client: one `/world` session (seed 004). An actor owns the WebSocket and the
//! sans-IO [`session::WorldSession`]; the user moves it through a [`WorldClient`] handle and
//! hears back through a channel of [`WorldEvent`]s.
//!
//! A client opened with [`WorldClient::connect`] knows its URL, so its session reconnects after
//! an unexpected loss ([`reconnect`]); one run [`WorldClient::over`] a given socket cannot dial
//! and ends with it.

pub mod events;
pub mod invite;
pub mod reconnect;
pub mod session;
pub mod throttle;
pub mod walk_back;
pub mod world_map;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use sfu_core::world::wire::{ClientMessage, Position, WorldId, decode_server};
use tokio::sync::mpsc;

use crate::inspect::{self, Direction, ProtocolTap, TapChannel};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub use events::{PeerView, Point, WorldEvent};
pub use reconnect::{Backoff, ReconnectPolicy};
use session::{Action, WorldSession};
pub use world_map::{SharedWorldMap, WorldMap};

/// Why a world client could not start.
#[derive(Debug, thiserror::Error)]
pub enum WorldConnectError {
    /// The WebSocket did not open.
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// The URL dialled.
        url: String,
        /// What went wrong.
        reason: String,
    },
}

enum Command {
    MoveTo(Position),
    Request(ClientMessage),
    Leave,
}

/// Queue depth of world events. When the user falls this far behind, further events are dropped
/// (counted in [`WorldClient::dropped_events`]) rather than stalling the socket.
pub const EVENT_QUEUE: usize = 4096;

/// How long the actor waits to hand over [`WorldEvent::Closed`] when the event queue is full.
const CLOSED_WAIT: Duration = Duration::from_secs(1);

/// WebSocket read buffer. tungstenite zero-fills the whole free read buffer before every read
/// attempt (snapview/tungstenite-rs#547), and the actor polls the socket after every event it
/// handles: at the default 128 KiB that `memset` costs more than decoding a presence frame. World
/// frames are small; a larger one (the world file) simply takes several reads.
const READ_BUFFER: usize = 8 * 1024;

/// Queue depth of commands; a full queue makes [`WorldClient::move_to`] wait.
const COMMAND_QUEUE: usize = 64;

/// How long opening a WebSocket may take (the Proxima client's connect timeout).
const DIAL_TIMEOUT: Duration = Duration::from_secs(10);

/// The socket [`WorldClient::connect`] opens.
type WorldSocket = WebSocketStream<MaybeTlsStream<tokio::net::TcpStream>>;

/// A socket being opened; the error says why it did not open.
type Dialing<S> = Pin<Box<dyn Future<Output = Result<S, String>> + Send>>;

/// Opens a new socket to the same server.
type Dialer<S> = Box<dyn Fn() -> Dialing<S> + Send>;

/// The open socket's two halves.
type Link<S> = (SplitSink<S, Message>, SplitStream<S>);

/// The largest message taken from a world server: `WORLD_STATE` carries the world file (the
/// demo's is 60 KiB; a large map with many layers a few MiB).
pub const MAX_SERVER_MESSAGE: usize = 8 * 1024 * 1024;

/// Opens `url` within [`DIAL_TIMEOUT`].
async fn dial(url: String) -> Result<WorldSocket, WorldConnectError> {
    // A hostile server gets no more than this per message (the default is 64 MiB): the largest
    // real one is WORLD_STATE with the world file.
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .max_message_size(Some(MAX_SERVER_MESSAGE))
        .max_frame_size(Some(MAX_SERVER_MESSAGE));
    let unreachable = |reason: String| WorldConnectError::Unreachable {
        url: url.clone(),
        reason,
    };
    let tls = crate::tls::ws_connector().map_err(|e| unreachable(format!("{e:#}")))?;
    // No Nagle: presence is a stream of small frames that must not wait for an ACK.
    let opening = tokio_tungstenite::connect_async_tls_with_config(
        url.as_str(),
        Some(config),
        true,
        Some(tls),
    );
    match tokio::time::timeout(DIAL_TIMEOUT, opening).await {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable(format!("no answer within {DIAL_TIMEOUT:?}"))),
    }
}

/// Handle to a running world session. Events arrive on the receiver returned by
/// [`WorldClient::connect`]; the last one is always [`WorldEvent::Closed`].
pub struct WorldClient {
    commands: mpsc::Sender<Command>,
    dropped: Arc<AtomicU64>,
    task: JoinHandle<()>,
}

impl WorldClient {
    /// Opens `url` (`ws://HOST:PORT/world`) and starts the session: `CONNECT` with `token`, then
    /// `JOIN_WORLD` into `world_id` once connected. Once in the world, a lost socket is dialled
    /// again under the [`ReconnectPolicy`] defaults ([`WorldEvent::Reconnecting`],
    /// [`WorldEvent::Reconnected`]).
    ///
    /// # Errors
    /// [`WorldConnectError::Unreachable`] when the WebSocket does not open. A refused token or
    /// world arrives later, as [`WorldEvent::Error`] then [`WorldEvent::Closed`].
    pub async fn connect(
        url: &str,
        token: String,
        world_id: WorldId,
    ) -> Result<(Self, mpsc::Receiver<WorldEvent>), WorldConnectError> {
        Self::connect_tapped(url, token, world_id, None).await
    }

    /// [`WorldClient::connect`], recording every frame on `tap` (the protocol inspector).
    ///
    /// # Errors
    /// As [`WorldClient::connect`].
    pub async fn connect_tapped(
        url: &str,
        token: String,
        world_id: WorldId,
        tap: Option<ProtocolTap>,
    ) -> Result<(Self, mpsc::Receiver<WorldEvent>), WorldConnectError> {
        let ws = dial(url.to_owned()).await?;
        let url = url.to_owned();
        let dialer: Dialer<WorldSocket> = Box::new(move || {
            let url = url.clone();
            Box::pin(async move { dial(url).await.map_err(|e| e.to_string()) })
        });
        Ok(Self::start(ws, token, world_id, Some(dialer), tap))
    }

    /// Runs the session over an already open socket (any `Sink`/`Stream` of WebSocket messages,
    /// so tests can use channels). Such a client cannot dial again: when the socket goes, the
    /// session ends.
    pub fn over<S>(
        socket: S,
        token: String,
        world_id: WorldId,
    ) -> (Self, mpsc::Receiver<WorldEvent>)
    where
        S: Stream<Item = Result<Message, tungstenite::Error>>
            + Sink<Message>
            + Send
            + Unpin
            + 'static,
    {
        Self::start(socket, token, world_id, None, None)
    }

    /// Starts the actor over `socket`; with a `dialer`, the session reconnects.
    fn start<S>(
        socket: S,
        token: String,
        world_id: WorldId,
        dialer: Option<Dialer<S>>,
        tap: Option<ProtocolTap>,
    ) -> (Self, mpsc::Receiver<WorldEvent>)
    where
        S: Stream<Item = Result<Message, tungstenite::Error>>
            + Sink<Message>
            + Send
            + Unpin
            + 'static,
    {
        let (events_tx, events_rx) = mpsc::channel(EVENT_QUEUE);
        let (commands_tx, commands_rx) = mpsc::channel(COMMAND_QUEUE);
        let dropped = Arc::new(AtomicU64::new(0));
        let mut session = WorldSession::new(Instant::now(), token, world_id);
        if dialer.is_some() {
            session = session.with_reconnect(ReconnectPolicy::default());
        }
        let actor = WorldActor {
            session,
            events: events_tx,
            dropped: dropped.clone(),
            tap,
        };
        let task = tokio::spawn(actor.run(socket, commands_rx, dialer));
        let client = Self {
            commands: commands_tx,
            dropped,
            task,
        };
        (client, events_rx)
    }

    /// Walks this user to `position` (see [`WorldSession::move_to`]: predicted at once, sent at
    /// most 15 times a second, the latest winning).
    pub async fn move_to(&self, position: Position) {
        let _ = self.commands.send(Command::MoveTo(position)).await;
    }

    /// Sends another request (`SFU_CONNECTED`, `INTERACT_REQUEST`, moderation, ...).
    pub async fn request(&self, message: ClientMessage) {
        let _ = self.commands.send(Command::Request(message)).await;
    }

    /// Events dropped so far because the event queue was full.
    pub fn dropped_events(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Leaves the world (closes the socket) and waits for the session to end.
    pub async fn leave(self) {
        let _ = self.commands.send(Command::Leave).await;
        let _ = self.task.await;
    }

    /// Waits until the session ends by itself (kicked, refused, server gone).
    pub async fn closed(self) {
        let _ = self.task.await;
    }
}

struct WorldActor {
    session: WorldSession,
    events: mpsc::Sender<WorldEvent>,
    dropped: Arc<AtomicU64>,
    tap: Option<ProtocolTap>,
}

impl WorldActor {
    async fn run<S>(
        mut self,
        socket: S,
        mut commands: mpsc::Receiver<Command>,
        dialer: Option<Dialer<S>>,
    ) where
        S: Stream<Item = Result<Message, tungstenite::Error>> + Sink<Message> + Unpin,
    {
        let mut link: Option<Link<S>> = Some(socket.split());
        let mut dialing: Option<Dialing<S>> = None;
        loop {
            while let Some(action) = self.session.poll_action() {
                match action {
                    Action::Close => {
                        if let Some((mut sink, _)) = link.take() {
                            let _ = tokio::time::timeout(CLOSED_WAIT, sink.close()).await;
                        }
                        return;
                    }
                    Action::Disconnect => {
                        if let Some((mut sink, _)) = link.take() {
                            let _ = tokio::time::timeout(CLOSED_WAIT, sink.close()).await;
                        }
                    }
                    Action::Dial => match &dialer {
                        Some(dial) => dialing = Some(dial()),
                        None => self
                            .session
                            .handle_dial_failed(Instant::now(), "this client cannot dial"),
                    },
                    Action::Send(message) => self.on_send(message, &mut link).await,
                    Action::Emit(event) => self.on_emit(event).await,
                }
            }
            let deadline = self
                .session
                .poll_timeout()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                frame = next_frame(&mut link) => self.on_frame(frame),
                dialed = until_dialed(&mut dialing) => {
                    dialing = None;
                    match dialed {
                        Ok(socket) => {
                            link = Some(socket.split());
                            self.session.handle_dialed(Instant::now());
                        }
                        Err(reason) => self.session.handle_dial_failed(Instant::now(), &reason),
                    }
                }
                command = commands.recv() => match command {
                    Some(Command::MoveTo(position)) => self.session.move_to(Instant::now(), position),
                    Some(Command::Request(message)) => self.session.request(message),
                    Some(Command::Leave) | None => self.session.leave(),
                },
                _ = tokio::time::sleep_until(deadline.into()) => self.session.handle_timeout(Instant::now()),
            }
        }
    }

    fn on_frame(&mut self, frame: Option<Result<Message, tungstenite::Error>>) {
        match frame {
            Some(Ok(Message::Text(text))) => match decode_server(text.as_str()) {
                Ok(message) => {
                    inspect::record(self.tap.as_ref(), TapChannel::World, Direction::In, &text);
                    self.session.handle_server(Instant::now(), message)
                }
                Err(e) => tracing::warn!(error = %e, "undecodable frame from the world server"),
            },
            Some(Ok(Message::Close(frame))) => {
                let (code, reason) = frame.map_or((None, "closed".to_owned()), |f| {
                    (Some(u16::from(f.code)), f.reason.to_string())
                });
                self.session.handle_closed(Instant::now(), code, &reason);
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                self.session
                    .handle_closed(Instant::now(), None, &format!("socket error: {e}"))
            }
            None => self
                .session
                .handle_closed(Instant::now(), None, "socket closed"),
        }
    }

    /// Sends one message on the open socket; a failed send is a lost socket.
    async fn on_send<S>(&mut self, message: ClientMessage, link: &mut Option<Link<S>>)
    where
        S: Stream<Item = Result<Message, tungstenite::Error>> + Sink<Message> + Unpin,
    {
        let Some((sink, _)) = link.as_mut() else {
            tracing::debug!(kind = message.name(), "no world socket; message dropped");
            return;
        };
        tracing::trace!(kind = message.name(), "to the world server");
        let text = message.to_json();
        inspect::record(self.tap.as_ref(), TapChannel::World, Direction::Out, &text);
        if sink.send(Message::Text(text.into())).await.is_err() {
            self.session
                .handle_closed(Instant::now(), None, "socket closed");
        }
    }

    /// Hands one event to the user.
    async fn on_emit(&mut self, event: WorldEvent) {
        if let WorldEvent::Closed { .. } = event {
            // The last event is worth a short wait, never a hang on a user that stopped reading.
            let _ = tokio::time::timeout(CLOSED_WAIT, self.events.send(event)).await;
            return;
        }
        // A closed queue means nobody listens any more: not worth counting.
        if let Err(mpsc::error::TrySendError::Full(_)) = self.events.try_send(event)
            && self.dropped.fetch_add(1, Ordering::Relaxed) == 0
        {
            tracing::warn!("world event queue full; dropping events");
        }
    }
}

/// The next frame of the open socket; never ready while there is none.
async fn next_frame<S>(link: &mut Option<Link<S>>) -> Option<Result<Message, tungstenite::Error>>
where
    S: Stream<Item = Result<Message, tungstenite::Error>> + Sink<Message> + Unpin,
{
    match link {
        Some((_, stream)) => stream.next().await,
        None => std::future::pending().await,
    }
}

/// The socket being opened, once it is; never ready while none is.
async fn until_dialed<S>(dialing: &mut Option<Dialing<S>>) -> Result<S, String> {
    match dialing {
        Some(opening) => opening.await,
        None => std::future::pending().await,
    }
}
