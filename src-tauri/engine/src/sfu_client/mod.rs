//! A headless SFU client: one `/signal` session with real WebRTC media. An actor owns the
//! WebSocket, the peer connection and the [`session::SfuSession`] state machine; audio runs in
//! its own tasks (see [`crate::media`]).

pub mod session;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use rtc::peer_connection::transport::RTCIceCandidateInit;
use sfu_core::ids::ChannelId;
use sfu_core::signal::{ClientMessage, IceCandidate, MuteSelf, SessionDescription, decode_server};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use webrtc::peer_connection::RTCPeerConnectionState;

use crate::events::EngineEvent;
use crate::inspect::{self, Direction, ProtocolTap, TapChannel};
use crate::media::peer::{MediaPeer, PeerEvent};
use crate::media::probe::ProbeRecorder;
pub use crate::media::uplink::Uplink;
use crate::media::{downlink, uplink};
use crate::voice::{Path, VoiceEngine};
use session::{Action, SfuSession};

/// What happens to the remote tracks this client receives.
#[derive(Clone)]
pub enum Downlink {
    /// Probes from every remote user are counted and timed in one recorder; nothing is decoded
    /// (load tests: a hundred decoders would swamp the machine being measured).
    Probe(Arc<ProbeRecorder>),
    /// Every remote voice goes to the voice engine (jitter buffer, mixer, output).
    Engine(VoiceEngine),
}

/// How to join.
pub struct SfuClientConfig {
    /// `ws://host:port/signal`.
    pub url: String,
    pub channel: ChannelId,
    pub token: String,
    /// What this client sends.
    pub uplink: Uplink,
    /// What it does with what it receives.
    pub downlink: Downlink,
    /// Local address for media sockets.
    pub bind_ip: IpAddr,
    /// Where every signaling frame is recorded (the protocol inspector), if anywhere.
    pub tap: Option<ProtocolTap>,
}

/// Why a client could not start.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The WebSocket did not open.
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The peer connection could not be created.
    #[error(transparent)]
    Media(#[from] crate::media::peer::PeerError),
}

enum Command {
    Request(ClientMessage),
    SetSelfMuted(bool),
    Leave,
}

/// Handle to a running client. Events arrive on the receiver returned by [`SfuClient::connect`].
pub struct SfuClient {
    commands: mpsc::Sender<Command>,
    task: JoinHandle<()>,
}

/// How long opening the `/signal` socket may take.
pub const DIAL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// The largest message taken from an SFU: an offer for a full room (about 400 bytes per m-line)
/// with plenty of room.
pub const MAX_SERVER_MESSAGE: usize = 1024 * 1024;

/// Queue depth of engine events; when full, further events are dropped with a warning.
const EVENT_QUEUE: usize = 4096;

impl SfuClient {
    /// Opens the WebSocket, creates the peer connection and starts the session (join first).
    pub async fn connect(
        config: SfuClientConfig,
    ) -> Result<(Self, mpsc::Receiver<EngineEvent>), ConnectError> {
        let ws = dial(&config.url).await?;
        let sends = !matches!(config.uplink, Uplink::Silent);
        let (peer, peer_events) = MediaPeer::new(config.bind_ip, sends).await?;
        let (events_tx, events_rx) = mpsc::channel(EVENT_QUEUE);
        let (commands_tx, commands_rx) = mpsc::channel(64);
        let (stop_tx, stop_rx) = watch::channel(false);
        let (speaking_tx, speaking_rx) = mpsc::channel(16);
        let engine = match &config.uplink {
            Uplink::Engine(engine) => Some(engine.clone()),
            _ => None,
        };
        tokio::spawn(uplink::run(
            config.uplink,
            peer.track.clone(),
            peer.ssrc,
            speaking_tx,
            stop_rx,
        ));
        let actor = ClientActor {
            session: SfuSession::new(Instant::now(), config.channel, config.token),
            channel: config.channel,
            peer,
            downlink: config.downlink,
            events: events_tx,
            engine,
            tap: config.tap,
            _stop: stop_tx,
        };
        let task = tokio::spawn(actor.run(ws, peer_events, commands_rx, speaking_rx));
        Ok((
            Self {
                commands: commands_tx,
                task,
            },
            events_rx,
        ))
    }

    /// Sends a request (mute, moderation, negotiate, ...) once joined.
    pub async fn request(&self, message: ClientMessage) {
        let _ = self.commands.send(Command::Request(message)).await;
    }

    /// Mutes or unmutes this client's microphone: stops sending and tells the SFU (505).
    pub async fn set_self_muted(&self, muted: bool) {
        let _ = self.commands.send(Command::SetSelfMuted(muted)).await;
    }

    /// Leaves (504) and waits for the session to end.
    pub async fn leave(self) {
        let _ = self.commands.send(Command::Leave).await;
        let _ = self.task.await;
    }

    /// Waits until the session ends by itself (kicked, moved, server gone).
    pub async fn closed(self) {
        let _ = self.task.await;
    }
}

/// Opens a `/signal` WebSocket. A dead or hostile SFU must not hold the caller (the client's
/// session loop) or its memory: a deadline on the dial, and a cap on what one message may be.
pub async fn dial(url: &str) -> Result<Ws, ConnectError> {
    let ws_config = WebSocketConfig::default()
        .max_message_size(Some(MAX_SERVER_MESSAGE))
        .max_frame_size(Some(MAX_SERVER_MESSAGE));
    let unreachable = |reason: String| ConnectError::Unreachable {
        url: url.to_owned(),
        reason,
    };
    let tls = crate::tls::ws_connector().map_err(|e| unreachable(format!("{e:#}")))?;
    let opening =
        tokio_tungstenite::connect_async_tls_with_config(url, Some(ws_config), true, Some(tls));
    match tokio::time::timeout(DIAL_TIMEOUT, opening).await {
        Ok(Ok((ws, _))) => Ok(ws),
        Ok(Err(e)) => Err(unreachable(e.to_string())),
        Err(_) => Err(unreachable(format!("no answer within {DIAL_TIMEOUT:?}"))),
    }
}

struct ClientActor {
    session: SfuSession,
    channel: ChannelId,
    peer: MediaPeer,
    downlink: Downlink,
    events: mpsc::Sender<EngineEvent>,
    /// The voice engine this client sends from: its self mute is the one switch.
    engine: Option<VoiceEngine>,
    tap: Option<ProtocolTap>,
    /// Dropping it stops the uplink task.
    _stop: watch::Sender<bool>,
}

/// The `/signal` WebSocket of a client.
pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl ClientActor {
    async fn run(
        mut self,
        ws: Ws,
        mut peer_events: mpsc::Receiver<PeerEvent>,
        mut commands: mpsc::Receiver<Command>,
        mut speaking: mpsc::Receiver<bool>,
    ) {
        let (mut sink, mut stream) = ws.split();
        loop {
            while let Some(action) = self.session.poll_action() {
                if !self.on_action(action, &mut sink).await {
                    let _ = sink.close().await;
                    self.peer.close().await;
                    return;
                }
            }
            let deadline = self
                .session
                .poll_timeout()
                .unwrap_or_else(|| Instant::now() + std::time::Duration::from_secs(3600));
            tokio::select! {
                frame = stream.next() => match frame {
                    Some(Ok(Message::Text(text))) => match decode_server(text.as_str()) {
                        Ok(message) => {
                            inspect::record(self.tap.as_ref(), TapChannel::Signal, Direction::In, &text);
                            self.session.handle_server(Instant::now(), message)
                        }
                        Err(e) => tracing::warn!(error = %e, "undecodable frame from the SFU"),
                    },
                    Some(Ok(Message::Close(frame))) => {
                        let reason = frame.map_or_else(|| "closed".to_owned(), |f| format!("closed {} {}", u16::from(f.code), f.reason));
                        self.session.handle_closed(&reason);
                    }
                    Some(Ok(_)) => {}
                    Some(Err(e)) => self.session.handle_closed(&format!("socket error: {e}")),
                    None => self.session.handle_closed("socket closed"),
                },
                event = peer_events.recv() => match event {
                    Some(PeerEvent::Candidate(c)) => self.session.request(ClientMessage::Candidate(to_wire(c))),
                    Some(PeerEvent::Track(track)) => self.on_track(track).await,
                    Some(PeerEvent::State(state)) => self.on_state(state).await,
                    None => self.session.handle_closed("media closed"),
                },
                command = commands.recv() => match command {
                    Some(Command::Request(message)) => self.session.request(message),
                    Some(Command::SetSelfMuted(muted)) => {
                        if let Some(engine) = &self.engine {
                            engine.set_self_muted(muted);
                        }
                        self.session.request(ClientMessage::MuteSelf(MuteSelf { muted }));
                    }
                    Some(Command::Leave) | None => self.session.leave(),
                },
                Some(voiced) = speaking.recv() => self.session.set_speaking(voiced),
                _ = tokio::time::sleep_until(deadline.into()) => self.session.handle_timeout(Instant::now()),
            }
        }
    }

    /// Carries out one action; false once the session is over.
    async fn on_action<S>(&mut self, action: Action, sink: &mut S) -> bool
    where
        S: futures_util::Sink<Message> + Unpin,
    {
        match action {
            Action::Send(message) => {
                let text = message.to_json();
                inspect::record(self.tap.as_ref(), TapChannel::Signal, Direction::Out, &text);
                if sink.send(Message::Text(text.into())).await.is_err() {
                    self.session.handle_closed("socket closed");
                }
            }
            Action::ApplyOffer(sdp) => match self.peer.answer(sdp).await {
                Ok(answer) => self
                    .session
                    .request(ClientMessage::Answer(SessionDescription::new(answer))),
                Err(e) => tracing::warn!(error = %e, "cannot answer the SFU's offer"),
            },
            Action::ApplyAnswer(sdp) => {
                if let Err(e) = self.peer.accept_answer(sdp).await {
                    tracing::warn!(error = %e, "cannot apply the SFU's answer");
                }
            }
            Action::AddCandidate(c) => {
                let init = RTCIceCandidateInit {
                    candidate: c.candidate,
                    sdp_mid: c.sdp_mid,
                    sdp_mline_index: c.sdp_m_line_index,
                    ..Default::default()
                };
                if let Err(e) = self.peer.add_candidate(init).await {
                    tracing::debug!(error = %e, "remote candidate refused");
                }
            }
            Action::Emit(event) => {
                let event = match event {
                    EngineEvent::Joined { .. } => EngineEvent::Joined {
                        channel: self.channel.0,
                    },
                    other => other,
                };
                // A closed queue means nobody listens any more: not worth a warning.
                if let Err(mpsc::error::TrySendError::Full(_)) = self.events.try_send(event) {
                    tracing::warn!("engine event queue full; event dropped");
                }
            }
            Action::Close => return false,
        }
        true
    }

    async fn on_track(&mut self, track: Arc<dyn webrtc::media_stream::track_remote::TrackRemote>) {
        let stream_id = track.stream_id().await;
        let Some(user_id) = downlink::user_from_stream_id(&stream_id) else {
            tracing::debug!(%stream_id, "track with no user id; ignored");
            return;
        };
        let kind = track.kind().await.to_string();
        let _ = self
            .events
            .try_send(EngineEvent::TrackAdded { user_id, kind });
        let events = self.events.clone();
        match &self.downlink {
            Downlink::Engine(engine) => {
                let engine = engine.clone();
                tokio::spawn(async move {
                    downlink::run_into(track, user_id, Path::Sfu, engine).await;
                    let _ = events.try_send(EngineEvent::TrackEnded { user_id });
                });
            }
            Downlink::Probe(recorder) => {
                let recorder = recorder.clone();
                tokio::spawn(async move {
                    downlink::run_probes(track, user_id, recorder).await;
                    let _ = events.try_send(EngineEvent::TrackEnded { user_id });
                });
            }
        }
    }

    async fn on_state(&mut self, state: RTCPeerConnectionState) {
        match state {
            RTCPeerConnectionState::Connected => {
                let _ = self.events.try_send(EngineEvent::MediaConnected);
            }
            RTCPeerConnectionState::Failed => self.session.handle_closed("media failed"),
            _ => {}
        }
    }
}

fn to_wire(c: RTCIceCandidateInit) -> IceCandidate {
    IceCandidate {
        candidate: c.candidate,
        sdp_mid: c.sdp_mid,
        sdp_m_line_index: c.sdp_mline_index,
    }
}
