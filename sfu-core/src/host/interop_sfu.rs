//! The SFU's end of the interop link: an actor that dials the main server (`--interop-url`, or
//! the built-in world server), feeds the sans-IO [`InteropLink`] with SFU events and frames, and
//! carries the main server's requests to the SFU actor.

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::sfu_actor::{SfuCommand, SfuHandle, now};
use crate::auth::mint_interop_token;
use crate::interop::link::{InteropLink, LinkOutput, LinkStats};
use crate::interop::wire::MainToSfu;
use crate::sfu::SfuEvent;

/// Events kept while the link is down before the oldest are dropped.
const QUEUE_CAPACITY: usize = 10_000;
/// How long a dial may take.
const DIAL_TIMEOUT: Duration = Duration::from_secs(5);

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub struct LinkActor {
    link: InteropLink,
    url: String,
    secret: Vec<u8>,
    issuer: String,
    sfu: SfuHandle,
    events: mpsc::UnboundedReceiver<SfuEvent>,
    stats: watch::Sender<LinkStats>,
    shutdown: watch::Receiver<bool>,
}

impl LinkActor {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        url: String,
        secret: Vec<u8>,
        issuer: String,
        sfu: SfuHandle,
        events: mpsc::UnboundedReceiver<SfuEvent>,
        shutdown: watch::Receiver<bool>,
    ) -> (Self, watch::Receiver<LinkStats>) {
        let (stats, stats_rx) = watch::channel(LinkStats::default());
        let actor = Self {
            link: InteropLink::new(Instant::now(), QUEUE_CAPACITY, rand::random()),
            url,
            secret,
            issuer,
            sfu,
            events,
            stats,
            shutdown,
        };
        (actor, stats_rx)
    }

    pub async fn run(mut self) {
        let mut ws: Option<Ws> = None;
        loop {
            self.flush(&mut ws).await;
            let _ = self.stats.send(self.link.stats());
            let deadline = self
                .link
                .poll_timeout()
                .unwrap_or_else(|| Instant::now() + Duration::from_secs(3600));
            tokio::select! {
                biased;
                _ = self.shutdown.changed() => break,
                event = self.events.recv() => match event {
                    Some(event) => self.link.handle_event(now().unix_ms, &event),
                    None => break,
                },
                frame = next_frame(&mut ws) => match frame {
                    Some(text) => self.link.handle_message(&text),
                    None => {
                        tracing::warn!(url = %self.url, "interop link lost; redialing");
                        ws = None;
                        self.link.handle_disconnected(Instant::now());
                    }
                },
                _ = tokio::time::sleep_until(deadline.into()) => {
                    let details = self.details().await;
                    self.link.handle_timeout(Instant::now(), || details);
                }
            }
        }
        if let Some(mut ws) = ws {
            let _ = ws.close(None).await;
        }
    }

    async fn flush(&mut self, ws: &mut Option<Ws>) {
        while let Some(output) = self.link.poll_output() {
            match output {
                LinkOutput::Dial => match self.dial().await {
                    Ok(socket) => {
                        *ws = Some(socket);
                        let active = self.active_channels().await;
                        let details = self.details().await;
                        tracing::info!(url = %self.url, "interop link up");
                        self.link.handle_connected(Instant::now(), &active, details);
                    }
                    Err(e) => {
                        tracing::debug!(url = %self.url, error = %e, "interop dial failed");
                        self.link.handle_disconnected(Instant::now());
                    }
                },
                LinkOutput::Send(text) => {
                    let sent = match ws.as_mut() {
                        Some(socket) => socket.send(Message::Text(text.into())).await.is_ok(),
                        None => false,
                    };
                    if !sent {
                        *ws = None;
                        self.link.handle_disconnected(Instant::now());
                    }
                }
                LinkOutput::Apply(request) => self.apply(request).await,
            }
        }
    }

    async fn dial(&self) -> anyhow::Result<Ws> {
        let token = mint_interop_token(
            &self.secret,
            &self.issuer,
            "hearth-sfu",
            3600,
            now().unix_secs(),
        );
        let mut request = self.url.as_str().into_client_request()?;
        request
            .headers_mut()
            .insert("Authorization", format!("Bearer {token}").parse()?);
        let (socket, _) =
            tokio::time::timeout(DIAL_TIMEOUT, tokio_tungstenite::connect_async(request)).await??;
        Ok(socket)
    }

    async fn active_channels(&self) -> Vec<(crate::ids::ChannelId, Vec<crate::ids::UserId>)> {
        let (tx, rx) = oneshot::channel();
        if self.sfu.send(SfuCommand::ActiveChannels(tx)).await.is_err() {
            return Vec::new();
        }
        rx.await.unwrap_or_default()
    }

    /// A human-readable load summary for `sfu_status`.
    async fn details(&self) -> String {
        match self.sfu.stats().await {
            Ok(s) => format!(
                "peers={} channels={} packets_forwarded={} bytes_forwarded={}",
                s.sfu.peers, s.sfu.channels, s.sfu.packets_forwarded, s.sfu.bytes_forwarded
            ),
            Err(_) => "stopping".to_owned(),
        }
    }

    async fn apply(&self, request: MainToSfu) {
        let command = match request {
            MainToSfu::ForceDisconnect(f) => {
                let (done, _) = oneshot::channel();
                SfuCommand::ForceDisconnect {
                    user: f.user_id,
                    channel: f.channel_id,
                    reason: f.reason,
                    done,
                }
            }
            MainToSfu::ServerMute(m) => SfuCommand::ServerMute {
                user: m.user_id,
                channel: m.channel_id,
                muted: m.muted,
            },
            MainToSfu::MoveUser(m) => SfuCommand::MoveUser {
                user: m.user_id,
                channel: m.channel_id,
                to: m.to_channel_id,
            },
        };
        let _ = self.sfu.send(command).await;
    }
}

/// The next text frame, or None when the socket is gone. Pending forever without a socket.
async fn next_frame(ws: &mut Option<Ws>) -> Option<String> {
    let Some(socket) = ws.as_mut() else {
        return std::future::pending().await;
    };
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(text))) => return Some(text.to_string()),
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => return None,
            Some(Ok(_)) => {}
        }
    }
}
