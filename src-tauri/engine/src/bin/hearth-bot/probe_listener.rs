//! A light `/signal` listener for `hearth-bot load`: one str0m `Rtc` in RTP mode on one UDP
//! socket, driven by one task, counting probes without decoding or jitter buffering.
//!
//! The full client (`SfuClient`, webrtc-rs with its interceptors and a task per track) costs
//! more per received packet than the SFU spends forwarding it, so a room of a hundred of them
//! saturates the load generator before the SFU. This one speaks the same protocol through the
//! same sans-IO session ([`SfuSession`]); only the media stack is lighter.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use futures_util::{SinkExt, StreamExt};
use hearth_engine::events::EngineEvent;
use hearth_engine::media::downlink::user_from_stream_id;
use hearth_engine::media::probe::{self, ProbeRecorder};
use hearth_engine::sfu_client::session::{Action, SfuSession};
use hearth_engine::sfu_client::{self, Ws};
use sfu_core::ids::ChannelId;
use sfu_core::signal::{ClientMessage, ServerMessage, SessionDescription, decode_server};
use str0m::change::SdpOffer;
use str0m::media::Mid;
use str0m::net::{Protocol, Receive};
use str0m::rtp::Ssrc;
use str0m::{Candidate, Event, IceConnectionState, Input, Output, Rtc};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;

/// Datagrams read per wakeup before the loop looks at its other inputs.
const BURST: usize = 64;
/// Largest datagram read (an MTU with room).
const DATAGRAM_BYTES: usize = 2048;
/// Depth of the event queue; when full, events are dropped (nobody reads them in time).
const EVENT_QUEUE: usize = 256;

/// What a light listener joins with.
pub struct ListenerConfig {
    /// `ws://host:port/signal`.
    pub url: String,
    pub channel: ChannelId,
    pub token: String,
    /// Publish a microphone that sends nothing (a muted member), or publish nothing.
    pub muted_mic: bool,
    /// Where every probe heard is counted.
    pub recorder: Arc<ProbeRecorder>,
    /// Local address for the media socket.
    pub bind_ip: IpAddr,
}

/// A running listener; its events arrive on the receiver [`ProbeListener::connect`] returns.
pub struct ProbeListener {
    leave: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

impl ProbeListener {
    /// Opens the socket and the WebSocket and starts the session (join first).
    pub async fn connect(
        config: ListenerConfig,
    ) -> anyhow::Result<(Self, mpsc::Receiver<EngineEvent>)> {
        let ws = sfu_client::dial(&config.url).await?;
        let socket = UdpSocket::bind((config.bind_ip, 0))
            .await
            .context("binding the media socket")?;
        let local = socket.local_addr()?;
        let now = Instant::now();
        let mut rtc = Rtc::builder().set_rtp_mode(true).build(now);
        rtc.add_local_candidate(Candidate::host(local, "udp")?);
        let (events, events_rx) = mpsc::channel(EVENT_QUEUE);
        let (leave, leave_rx) = oneshot::channel();
        let shell = Shell {
            session: SfuSession::new(now, config.channel, config.token),
            channel: config.channel,
            rtc,
            socket,
            local,
            muted_mic: config.muted_mic,
            recorder: config.recorder,
            senders: Vec::new(),
            events,
        };
        let task = tokio::spawn(shell.run(ws, leave_rx));
        Ok((Self { leave, task }, events_rx))
    }

    /// Leaves (504) and waits for the session to end.
    pub async fn leave(self) {
        let _ = self.leave.send(());
        let _ = self.task.await;
    }
}

/// Forwards the SFU's messages until the socket ends, then why it ended.
async fn read_frames(
    mut stream: futures_util::stream::SplitStream<Ws>,
    frames: mpsc::Sender<Result<ServerMessage, String>>,
) {
    let end = loop {
        match stream.next().await {
            Some(Ok(Message::Text(text))) => match decode_server(text.as_str()) {
                Ok(message) => {
                    if frames.send(Ok(message)).await.is_err() {
                        return;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "undecodable frame from the SFU"),
            },
            Some(Ok(Message::Close(_))) | None => break "socket closed".to_owned(),
            Some(Err(e)) => break format!("socket error: {e}"),
            Some(Ok(_)) => {}
        }
    };
    let _ = frames.send(Err(end)).await;
}

struct Shell {
    session: SfuSession,
    channel: ChannelId,
    rtc: Rtc,
    socket: UdpSocket,
    local: SocketAddr,
    muted_mic: bool,
    recorder: Arc<ProbeRecorder>,
    /// Which user each receive stream carries, learned on its first packet (a handful of
    /// entries: a linear scan beats hashing).
    senders: Vec<(Ssrc, Option<i64>)>,
    events: mpsc::Sender<EngineEvent>,
}

impl Shell {
    async fn run(mut self, ws: Ws, mut leave: oneshot::Receiver<()>) {
        let (mut sink, stream) = ws.split();
        // The socket is read in a task of its own: polling tungstenite's stream resizes (and
        // zero-fills) its read buffer on every poll, and this loop wakes for every datagram.
        let (frames_tx, mut frames) = mpsc::channel(16);
        let reader = tokio::spawn(read_frames(stream, frames_tx));
        let mut buf = vec![0u8; DATAGRAM_BYTES];
        let mut leaving = false;
        loop {
            while let Some(action) = self.session.poll_action() {
                if !self.on_action(action, &mut sink).await {
                    let _ = sink.close().await;
                    self.rtc.disconnect();
                    reader.abort();
                    return;
                }
            }
            let media_due = self.drain_rtc().await;
            let deadline = self
                .session
                .poll_timeout()
                .map_or(media_due, |t| t.min(media_due));
            tokio::select! {
                received = self.socket.recv_from(&mut buf) => {
                    if let Ok((n, source)) = received {
                        self.receive(source, &buf[..n]).await;
                        for _ in 1..BURST {
                            match self.socket.try_recv_from(&mut buf) {
                                Ok((n, source)) => self.receive(source, &buf[..n]).await,
                                Err(_) => break,
                            }
                        }
                    }
                }
                frame = frames.recv() => match frame {
                    Some(Ok(message)) => self.session.handle_server(Instant::now(), message),
                    Some(Err(reason)) => self.session.handle_closed(&reason),
                    None => self.session.handle_closed("socket closed"),
                },
                _ = &mut leave, if !leaving => {
                    leaving = true;
                    self.session.leave();
                }
                _ = tokio::time::sleep_until(deadline.into()) => {
                    let now = Instant::now();
                    self.session.handle_timeout(now);
                    if self.rtc.handle_input(Input::Timeout(now)).is_err() {
                        self.session.handle_closed("media failed");
                    }
                }
            }
        }
    }

    /// One datagram in, and whatever it makes come out.
    async fn receive(&mut self, source: SocketAddr, datagram: &[u8]) {
        let Ok(contents) = datagram.try_into() else {
            return;
        };
        let input = Input::Receive(
            Instant::now(),
            Receive {
                proto: Protocol::Udp,
                source,
                destination: self.local,
                contents,
            },
        );
        if self.rtc.handle_input(input).is_err() {
            self.session.handle_closed("media failed");
        }
        // str0m holds one received packet at a time: take it before the next input.
        self.drain_rtc().await;
    }

    /// Sends what the `Rtc` has to send and handles its events; returns when it next wants time.
    async fn drain_rtc(&mut self) -> Instant {
        loop {
            match self.rtc.poll_output() {
                Ok(Output::Timeout(at)) => return at,
                Ok(Output::Transmit(t)) => {
                    let _ = self.socket.send_to(&t.contents, t.destination).await;
                }
                Ok(Output::Event(event)) => self.on_event(event),
                Err(e) => {
                    tracing::warn!(error = %e, "media failed");
                    self.session.handle_closed("media failed");
                    return Instant::now() + Duration::from_secs(3600);
                }
            }
        }
    }

    fn on_event(&mut self, event: Event) {
        match event {
            Event::RtpPacket(packet) => {
                let ssrc = packet.header.ssrc;
                let user = match self.senders.iter().find(|(s, _)| *s == ssrc) {
                    Some((_, user)) => *user,
                    None => {
                        let user = self.user_of(ssrc);
                        self.senders.push((ssrc, user));
                        user
                    }
                };
                if let Some(user) = user {
                    self.recorder.record(user, &packet.payload, probe::now_ns());
                }
            }
            Event::Connected => self.emit(EngineEvent::MediaConnected),
            Event::IceConnectionStateChange(IceConnectionState::Disconnected) => {
                self.session.handle_closed("media failed");
            }
            _ => {}
        }
    }

    /// The user a receive stream carries: its m-line's MediaStream id, `user-<id>`.
    fn user_of(&mut self, ssrc: Ssrc) -> Option<i64> {
        let mid: Mid = self.rtc.direct_api().stream_rx(&ssrc)?.mid();
        user_from_stream_id(self.rtc.media(mid)?.stream_id())
    }

    async fn on_action<S>(&mut self, action: Action, sink: &mut S) -> bool
    where
        S: futures_util::Sink<Message> + Unpin,
    {
        match action {
            Action::Send(message) => {
                if sink
                    .send(Message::Text(message.to_json().into()))
                    .await
                    .is_err()
                {
                    self.session.handle_closed("socket closed");
                }
            }
            Action::ApplyOffer(sdp) => match self.answer(&sdp) {
                Ok(answer) => self
                    .session
                    .request(ClientMessage::Answer(SessionDescription::new(answer))),
                Err(e) => tracing::warn!(error = %e, "cannot answer the SFU's offer"),
            },
            // This client never offers, so an answer is not expected.
            Action::ApplyAnswer(_) => {}
            Action::AddCandidate(c) => match Candidate::from_sdp_string(&c.candidate) {
                Ok(candidate) => self.rtc.add_remote_candidate(candidate),
                Err(e) => tracing::debug!(error = %e, "remote candidate refused"),
            },
            Action::Emit(event) => self.emit(match event {
                EngineEvent::Joined { .. } => EngineEvent::Joined {
                    channel: self.channel.0,
                },
                other => other,
            }),
            Action::Close => return false,
        }
        true
    }

    /// Answers an offer. The SFU offers the m-lines a client publishes on as `recvonly`; str0m
    /// would answer each `sendonly`, which publishes a (muted) microphone. A listener without
    /// one answers them `inactive`, as a browser with no track does.
    fn answer(&mut self, sdp: &str) -> anyhow::Result<String> {
        let sdp = if self.muted_mic {
            sdp.to_owned()
        } else {
            sdp.replace("a=recvonly", "a=inactive")
        };
        let offer = SdpOffer::from_sdp_string(&sdp)?;
        let answer = self.rtc.sdp_api().accept_offer(offer)?;
        // A renegotiation can move streams to other m-lines: learn the senders again.
        self.senders.clear();
        Ok(answer.to_sdp_string())
    }

    fn emit(&self, event: EngineEvent) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.events.try_send(event) {
            tracing::debug!("listener event queue full; event dropped");
        }
    }
}
