//! Helpers for the end-to-end tests: an in-process host on 127.0.0.1:0, tokens, headless clients
//! whose received audio lands in memory, raw `/signal` sockets, and audio checks.

pub mod netns;
pub mod tls;
pub mod turn;
pub mod voice;
pub mod world;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use hearth_engine::audio::processing::ProcessingConfig;
use hearth_engine::audio::{
    AudioSink, AudioSource, EncoderConfig, MemorySink, MemoryTap, NullSink, SilenceSource,
    SineSource, TalkMode, analysis,
};
use hearth_engine::events::EngineEvent;
use hearth_engine::sfu_client::{Downlink, SfuClient, SfuClientConfig, Uplink};
use hearth_engine::voice::{SinkFactory, VoiceConfig, VoiceEngine};
use sfu_core::auth::{SfuTokenRequest, mint_sfu_token};
use sfu_core::host::{HostConfig, RunningHost, start};
use sfu_core::ids::{ChannelId, UserId};
use sfu_core::perms::Permissions;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

pub const SECRET: &[u8] = b"e2e-test-secret-of-at-least-32-bytes";
pub const ISSUER: &str = "hearth";
pub const INVITE: &str = "e2e-invite";
pub const TURN_SECRET: &[u8] = b"e2e-turn-secret";

/// Every wait in these tests is bounded by this.
pub const WAIT: Duration = Duration::from_secs(10);

/// Connect + Speak + Video: what an ordinary member gets.
pub const MEMBER: Permissions = Permissions::MOVED_GRANT;

/// The response (head and body) to a bare HTTP/1.1 `GET path` on `addr`.
pub async fn get_text(addr: SocketAddr, path: &str) -> anyhow::Result<String> {
    get_with(addr, path, None).await
}

/// [`get_text`] with `Authorization: Bearer <bearer>` when given.
pub async fn get_with(
    addr: SocketAddr,
    path: &str,
    bearer: Option<&str>,
) -> anyhow::Result<String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    let auth = bearer.map_or_else(String::new, |t| format!("Authorization: Bearer {t}\r\n"));
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: localhost\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut body = String::new();
    tokio::time::timeout(WAIT, stream.read_to_string(&mut body))
        .await
        .with_context(|| format!("reading GET {path}"))??;
    Ok(body)
}

/// An operator token for the test hosts (`/api/sfu/channels`, `/api/interop/presence`).
pub fn operator_token() -> String {
    sfu_core::auth::mint_operator_token(SECRET, ISSUER, "e2e", 600, unix_now())
}

/// An operator-only endpoint's JSON body.
pub async fn get_operator_json(addr: SocketAddr, path: &str) -> anyhow::Result<serde_json::Value> {
    let response = get_with(addr, path, Some(&operator_token())).await?;
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    serde_json::from_str(body).with_context(|| format!("GET {path}: {response}"))
}

/// Starts a host on loopback with ephemeral ports.
pub async fn host() -> anyhow::Result<RunningHost> {
    host_with(None).await
}

/// Starts a host whose SFU dials `interop_url` (None: its own world server).
pub async fn host_with(interop_url: Option<String>) -> anyhow::Result<RunningHost> {
    start(host_config(interop_url)).await
}

/// Starts a host whose `ICE_FAILED` answers point at `turn_url` (the test's coturn).
pub async fn host_with_turn(turn_url: String) -> anyhow::Result<RunningHost> {
    start(HostConfig {
        turn_urls: vec![turn_url],
        ..host_config(None)
    })
    .await
}

/// Starts a host listening on `ip` whose `ICE_FAILED` answers point at `turn_url`.
pub async fn host_on_with_turn(ip: IpAddr, turn_url: String) -> anyhow::Result<RunningHost> {
    let addr = SocketAddr::new(ip, 0);
    start(HostConfig {
        listen: addr,
        udp: addr,
        turn_urls: vec![turn_url],
        ..host_config(None)
    })
    .await
}

/// Starts a host with `workers` SFU workers.
pub async fn host_with_workers(workers: usize) -> anyhow::Result<RunningHost> {
    start(HostConfig {
        workers,
        ..host_config(None)
    })
    .await
}

/// The test host's configuration: loopback, ephemeral ports, one SFU worker.
fn host_config(interop_url: Option<String>) -> HostConfig {
    let loopback = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
    HostConfig {
        listen: loopback,
        udp: loopback,
        public_ip: None,
        secret: SECRET.to_vec(),
        issuer: ISSUER.to_owned(),
        world: sfu_core::world::map::World::demo(),
        invite: INVITE.to_owned(),
        turn_urls: vec!["turn:127.0.0.1:3478".to_owned()],
        turn_secret: Some(TURN_SECRET.to_vec()),
        interop_url,
        dspeak_open: false,
        workers: 1,
        max_channel_peers: sfu_core::sfu::DEFAULT_MAX_CHANNEL_PEERS,
    }
}

pub fn signal_url(host: &RunningHost) -> String {
    format!("ws://{}/signal", host.http_addr)
}

pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// A valid token for `user` in `channel`.
pub fn token(user: i64, channel: i64, perms: Permissions) -> String {
    token_with(user, channel, perms, false)
}

pub fn token_with(user: i64, channel: i64, perms: Permissions, moved: bool) -> String {
    let request = SfuTokenRequest {
        user: UserId(user),
        channel: ChannelId(channel),
        perms,
        moved,
        ttl_secs: 300,
    };
    mint_sfu_token(SECRET, ISSUER, &request, unix_now())
}

/// A headless `/signal` client on the voice engine (as the app's), whose received audio is kept
/// in memory, per remote user.
pub struct Bot {
    pub user: i64,
    pub client: Option<SfuClient>,
    pub events: mpsc::Receiver<EngineEvent>,
    pub seen: Vec<EngineEvent>,
    engine: VoiceEngine,
    taps: Arc<Mutex<HashMap<i64, MemoryTap>>>,
}

impl Bot {
    /// Joins `channel` as `user`, sending a tone (or silence when `tone` is None).
    pub async fn join(
        host: &RunningHost,
        user: i64,
        channel: i64,
        perms: Permissions,
        tone: Option<f32>,
    ) -> anyhow::Result<Self> {
        let source: Box<dyn AudioSource> = match tone {
            Some(hz) => Box::new(SineSource::new(hz, 0.3)),
            None => Box::new(SilenceSource::new()),
        };
        Self::join_with(host, user, channel, token(user, channel, perms), source).await
    }

    pub async fn join_with(
        host: &RunningHost,
        user: i64,
        channel: i64,
        token: String,
        source: Box<dyn AudioSource>,
    ) -> anyhow::Result<Self> {
        Self::join_at(signal_url(host), user, channel, token, source).await
    }

    /// Joins through `url` (`ws://` or `wss://` .../signal).
    pub async fn join_at(
        url: String,
        user: i64,
        channel: i64,
        token: String,
        source: Box<dyn AudioSource>,
    ) -> anyhow::Result<Self> {
        let taps: Arc<Mutex<HashMap<i64, MemoryTap>>> = Arc::default();
        let registry = taps.clone();
        let sinks: SinkFactory = Arc::new(move |remote| -> Box<dyn AudioSink> {
            let sink = MemorySink::new();
            if let Ok(mut taps) = registry.lock() {
                taps.insert(remote, sink.tap());
            }
            Box::new(sink)
        });
        let mut voice = VoiceConfig::new(source, Box::new(NullSink::new()));
        voice.user_sinks = Some(sinks);
        voice.encoder = EncoderConfig::default();
        // The tone always goes out, unprocessed: these bots test the SFU, and a steady tone is
        // what voice detection and noise suppression would take for the room's noise.
        voice.talk_mode = TalkMode::Open;
        voice.processing = ProcessingConfig::OFF;
        let (engine, _voice_events) = VoiceEngine::start(voice)?;
        let config = SfuClientConfig {
            url,
            channel: ChannelId(channel),
            token,
            uplink: Uplink::Engine(engine.clone()),
            downlink: Downlink::Engine(engine.clone()),
            bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            tap: None,
        };
        let (client, events) = SfuClient::connect(config)
            .await
            .context("connecting a bot")?;
        Ok(Self {
            user,
            client: Some(client),
            events,
            seen: Vec::new(),
            engine,
            taps,
        })
    }

    /// Waits for an event matching `pred` (events seen on the way are kept in `seen`).
    pub async fn expect(
        &mut self,
        what: &str,
        pred: impl Fn(&EngineEvent) -> bool,
    ) -> anyhow::Result<EngineEvent> {
        if let Some(e) = self.seen.iter().find(|e| pred(e)) {
            return Ok(e.clone());
        }
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let event = tokio::time::timeout_at(deadline, self.events.recv())
                .await
                .with_context(|| {
                    format!(
                        "user {} waited {WAIT:?} for {what}; saw {:?}",
                        self.user, self.seen
                    )
                })?;
            let Some(event) = event else {
                bail!(
                    "user {}: events ended before {what}; saw {:?}",
                    self.user,
                    self.seen
                );
            };
            self.seen.push(event.clone());
            if pred(&event) {
                return Ok(event);
            }
        }
    }

    /// Waits for exactly `want`.
    pub async fn expect_event(&mut self, want: EngineEvent) -> anyhow::Result<()> {
        let what = format!("{want:?}");
        self.expect(&what, |e| *e == want).await.map(|_| ())
    }

    /// Drains pending events into `seen` without waiting.
    pub fn drain(&mut self) {
        while let Ok(e) = self.events.try_recv() {
            self.seen.push(e);
        }
    }

    /// Everything received from `remote` so far.
    pub fn heard(&self, remote: i64) -> Vec<i16> {
        self.taps
            .lock()
            .ok()
            .and_then(|t| t.get(&remote).map(MemoryTap::snapshot))
            .unwrap_or_default()
    }

    pub fn heard_len(&self, remote: i64) -> usize {
        self.taps
            .lock()
            .ok()
            .and_then(|t| t.get(&remote).map(MemoryTap::len))
            .unwrap_or(0)
    }

    pub fn client(&self) -> &SfuClient {
        self.client.as_ref().expect("the bot has not left")
    }

    pub async fn leave(&mut self) {
        if let Some(client) = self.client.take() {
            client.leave().await;
        }
        self.engine.shutdown().await;
    }
}

/// Normalised tone power of `hz` in the samples (about amplitude² for a pure tone).
pub fn tone_power(samples: &[i16], hz: f32) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    analysis::goertzel_power(samples, hz)
}

/// Samples received from `remote` after `from` (a previous `heard_len`).
pub fn since(bot: &Bot, remote: i64, from: usize) -> Vec<i16> {
    let all = bot.heard(remote);
    all.get(from..).map(<[i16]>::to_vec).unwrap_or_default()
}

/// Waits until `bot` has heard at least `secs` of `remote`'s tone at `hz`.
pub async fn wait_hearing(bot: &Bot, remote: i64, hz: f32, secs: f32) -> anyhow::Result<()> {
    let want = (secs * 48_000.0) as usize;
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let heard = bot.heard(remote);
        if heard.len() >= want && tone_power(&heard[heard.len() - want..], hz) > 0.01 {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!(
                "user {} did not hear {hz} Hz from user {remote} within {WAIT:?} ({} samples, power {:.4})",
                bot.user,
                heard.len(),
                tone_power(&heard, hz)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A raw `/signal` WebSocket for protocol-level tests.
pub struct RawSignal {
    ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

/// What a raw socket received next.
#[derive(Debug)]
pub enum Frame {
    Json(serde_json::Value),
    Closed(Option<u16>),
}

impl RawSignal {
    pub async fn connect(host: &RunningHost) -> anyhow::Result<Self> {
        let (ws, _) = tokio_tungstenite::connect_async(signal_url(host)).await?;
        Ok(Self { ws })
    }

    pub async fn send_text(&mut self, text: &str) -> anyhow::Result<()> {
        self.ws.send(Message::Text(text.to_owned().into())).await?;
        Ok(())
    }

    pub async fn send_json(&mut self, value: serde_json::Value) -> anyhow::Result<()> {
        self.send_text(&value.to_string()).await
    }

    /// Next JSON frame or close, skipping pings; fails after [`WAIT`].
    pub async fn next(&mut self) -> anyhow::Result<Frame> {
        loop {
            let frame = tokio::time::timeout(WAIT, self.ws.next())
                .await
                .context("waiting for a frame")?;
            match frame {
                Some(Ok(Message::Text(text))) => {
                    return Ok(Frame::Json(serde_json::from_str(text.as_str())?));
                }
                Some(Ok(Message::Close(c))) => {
                    return Ok(Frame::Closed(c.map(|c| u16::from(c.code))));
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Ok(Frame::Closed(None)),
            }
        }
    }

    /// Next JSON frame that satisfies `pred`, skipping others (offers, candidates...).
    pub async fn next_matching(
        &mut self,
        pred: impl Fn(&serde_json::Value) -> bool,
    ) -> anyhow::Result<serde_json::Value> {
        loop {
            match self.next().await? {
                Frame::Json(v) if pred(&v) => return Ok(v),
                Frame::Json(_) => {}
                Frame::Closed(code) => bail!("socket closed ({code:?}) before the expected frame"),
            }
        }
    }
}

/// Sends logs to the test's stderr when `HEARTH_TEST_LOG` holds a filter (e.g.
/// `sfu_core=debug`): for debugging a failing test.
pub fn logs() {
    if let Ok(filter) = std::env::var("HEARTH_TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_test_writer()
            .try_init();
    }
}

/// One walking step from `from` toward `to`: half a tile, every 85 ms, about 6 tiles/s (under the
/// world server's speed limit). `None` once there.
pub fn step_toward(from: (f64, f64), to: (f64, f64)) -> Option<(f64, f64)> {
    let (dx, dy) = (to.0 - from.0, to.1 - from.1);
    let d = dx.hypot(dy);
    if d < 1e-9 {
        return None;
    }
    let step = d.min(0.5);
    Some((from.0 + dx / d * step, from.1 + dy / d * step))
}

/// Time between two walking steps.
pub const STEP_INTERVAL: Duration = Duration::from_millis(85);
