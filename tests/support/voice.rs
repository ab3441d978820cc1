//! Whole clients in one test process: a [`HearthClient`] with a voice engine that sends a tone
//! and records what it hears (the mix, and each remote user on their own), plus an event log to
//! wait on.
//!
//! Each bot's client and voice engine run on a runtime of their own, as each user's app runs in
//! a process of its own: a client busy setting up its SFU connection cannot hold up another
//! client's packets, and the test's own polling cannot hold up any of them. With one shared
//! runtime, nine clients promoted at once stalled each other's receive tasks for 100 ms and
//! more on a machine with one core busy: a gap the product does not have.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, bail};
use hearth_engine::audio::processing::ProcessingConfig;
use hearth_engine::audio::{
    AudioSink, EncoderConfig, FrameDuration, MemorySink, MemoryTap, SineSource, TalkMode,
};
use hearth_engine::client::{ClientConfig, ClientEvent, HearthClient, MediaEvent, voice_id};
use hearth_engine::p2p::link::LinkState;
use hearth_engine::p2p::plan::AudioRange;
use hearth_engine::voice::{VoiceConfig, VoiceEngine};
use hearth_engine::world_client::WorldEvent;
use sfu_core::host::RunningHost;
use sfu_core::roles::Role;
use sfu_core::world::wire::{Position, WorldId, WorldUserId};
use uuid::Uuid;

use super::world::world_token;

/// Tone amplitude: low enough that nine mixed tones never clip.
const AMPLITUDE: f32 = 0.08;

/// Options for a [`VoiceBot`].
#[derive(Clone)]
pub struct VoiceOptions {
    pub roles: Vec<Role>,
    pub frame: FrameDuration,
    /// Fraction of arriving packets dropped on purpose.
    pub receive_loss: f64,
    /// Every P2P link through the host's TURN server.
    pub relay_only: bool,
}

impl Default for VoiceOptions {
    fn default() -> Self {
        Self {
            roles: vec![Role::Member],
            frame: FrameDuration::Ms20,
            receive_loss: 0.0,
            relay_only: false,
        }
    }
}

/// One whole client talking with a tone.
pub struct VoiceBot {
    pub name: String,
    pub user: Uuid,
    pub tone: f32,
    client: Option<HearthClient>,
    pub engine: VoiceEngine,
    log: Arc<Mutex<Vec<ClientEvent>>>,
    mix: MemoryTap,
    heard: Arc<Mutex<BTreeMap<i64, MemoryTap>>>,
    pub position: (f64, f64),
    /// Where this bot's client and engine run; shut down when the bot leaves or is dropped.
    runtime: Option<tokio::runtime::Runtime>,
}

impl VoiceBot {
    /// Joins the host's world as a new user sending `tone` Hz.
    pub async fn join(host: &RunningHost, name: &str, tone: f32) -> anyhow::Result<Self> {
        Self::join_with(host, name, tone, VoiceOptions::default()).await
    }

    pub async fn join_with(
        host: &RunningHost,
        name: &str,
        tone: f32,
        options: VoiceOptions,
    ) -> anyhow::Result<Self> {
        let (user, token) = world_token(name, &options.roles);
        let mix_sink = MemorySink::new();
        let mix = mix_sink.tap();
        let heard: Arc<Mutex<BTreeMap<i64, MemoryTap>>> = Arc::default();
        let taps = heard.clone();
        let mut voice = VoiceConfig::new(
            Box::new(SineSource::new(tone, AMPLITUDE)),
            Box::new(mix_sink),
        );
        voice.encoder = EncoderConfig {
            frame: options.frame,
            dtx: true,
            ..EncoderConfig::default()
        };
        voice.receive_loss = options.receive_loss;
        // A steady tone would become the voice detector's noise floor within seconds, and is
        // what a noise suppressor removes (and gain control reshapes): these bots test the
        // transport, so the tone goes out as it is. Processing has its own tests.
        voice.talk_mode = TalkMode::Open;
        voice.processing = ProcessingConfig::OFF;
        voice.user_sinks = Some(Arc::new(move |user| -> Box<dyn AudioSink> {
            let sink = MemorySink::new();
            taps.lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .insert(user, sink.tap());
            Box::new(sink)
        }));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(format!("bot-{name}"))
            .enable_all()
            .build()?;
        let (engine, voice_events) = {
            let _inside = runtime.enter();
            VoiceEngine::start(voice)?
        };
        let config = ClientConfig {
            world_url: format!("ws://{}/world", host.http_addr),
            token,
            world_id: WorldId::new(host.world_id.clone()),
            bind_ip: IpAddr::V4(Ipv4Addr::LOCALHOST),
            range: AudioRange::default(),
            relay_only: options.relay_only,
            tap: None,
        };
        let log: Arc<Mutex<Vec<ClientEvent>>> = Arc::default();
        let sink = log.clone();
        let voice_engine = engine.clone();
        let client = runtime
            .spawn(async move {
                let (client, mut events) =
                    HearthClient::connect(config, voice_engine, voice_events).await?;
                tokio::spawn(async move {
                    while let Some(event) = events.recv().await {
                        // Presence arrives ten times a second from everyone; nothing here waits
                        // on it, and keeping it would make every look at the log slow.
                        if !matches!(event, ClientEvent::World(WorldEvent::Presence { .. })) {
                            sink.lock()
                                .unwrap_or_else(std::sync::PoisonError::into_inner)
                                .push(event);
                        }
                    }
                });
                anyhow::Ok(client)
            })
            .await??;
        let mut bot = Self {
            name: name.to_owned(),
            user,
            tone,
            client: Some(client),
            engine,
            log,
            mix,
            heard,
            position: (28.5, 22.5),
            runtime: Some(runtime),
        };
        let state = bot
            .wait_for("WORLD_STATE", Duration::from_secs(10), |e| {
                matches!(e, ClientEvent::World(WorldEvent::WorldState { .. }))
            })
            .await?;
        if let ClientEvent::World(WorldEvent::WorldState {
            position: Some(p), ..
        }) = state
        {
            bot.position = (p.x, p.y);
        }
        Ok(bot)
    }

    pub fn id(&self) -> WorldUserId {
        WorldUserId::new(self.user.to_string())
    }

    /// The id this user's voice is keyed by.
    pub fn voice(&self) -> i64 {
        voice_id(&self.id()).unwrap_or_default()
    }

    pub fn client(&self) -> anyhow::Result<&HearthClient> {
        self.client.as_ref().context("the bot has left")
    }

    /// Every event so far.
    pub fn events(&self) -> Vec<ClientEvent> {
        self.log
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The events so far, one JSON object per line (for failure messages).
    pub fn event_summary(&self) -> String {
        self.events()
            .iter()
            .map(|e| serde_json::to_string(e).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits until an event matching `want` has arrived (at any time so far) and returns it.
    pub async fn wait_for(
        &self,
        what: &str,
        within: Duration,
        want: impl Fn(&ClientEvent) -> bool,
    ) -> anyhow::Result<ClientEvent> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            if let Some(e) = self.events().into_iter().find(|e| want(e)) {
                return Ok(e);
            }
            if tokio::time::Instant::now() >= deadline {
                bail!("{}: no {what} within {within:?}", self.name);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until `check` holds, polling.
    pub async fn until(
        &self,
        what: &str,
        within: Duration,
        check: impl Fn(&Self) -> bool,
    ) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + within;
        while !check(self) {
            if tokio::time::Instant::now() >= deadline {
                bail!(
                    "{}: not {what} within {within:?}; voices {:?}; events: {}",
                    self.name,
                    self.engine.remote_status(),
                    self.event_summary()
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// Walks in a straight line at about 6 tiles/s (under the server's speed limit).
    pub async fn walk(&mut self, x: f64, y: f64) -> anyhow::Result<()> {
        while let Some(next) = super::step_toward(self.position, (x, y)) {
            self.position = next;
            tokio::time::sleep(super::STEP_INTERVAL).await;
            self.client()?.move_to(Position::new(next.0, next.1)).await;
        }
        Ok(())
    }

    /// Walks through each point in turn.
    pub async fn walk_via(&mut self, points: &[(f64, f64)]) -> anyhow::Result<()> {
        for (x, y) in points {
            self.walk(*x, *y).await?;
        }
        Ok(())
    }

    /// The state of the P2P link to `peer`, from the last link event.
    pub fn link_state(&self, peer: &WorldUserId) -> Option<LinkState> {
        let mut state = None;
        for e in self.events() {
            match e {
                ClientEvent::Media(MediaEvent::Link {
                    peer: p, state: s, ..
                }) if p == *peer => {
                    state = Some(s);
                }
                ClientEvent::Media(MediaEvent::LinkClosed { peer: p, .. }) if p == *peer => {
                    state = Some(LinkState::Closed);
                }
                _ => {}
            }
        }
        state
    }

    /// Whether this bot is on the SFU (connected and not left since).
    pub fn on_sfu(&self) -> bool {
        let mut on = false;
        for e in self.events() {
            match e {
                ClientEvent::Media(MediaEvent::SfuConnected { .. }) => on = true,
                ClientEvent::Media(MediaEvent::SfuLeft { .. }) => on = false,
                _ => {}
            }
        }
        on
    }

    /// Everything this bot heard (the mix).
    pub fn mix(&self) -> Vec<i16> {
        self.mix.snapshot()
    }

    /// The newest `ms` milliseconds of the mix.
    pub fn mix_tail(&self, ms: usize) -> Vec<i16> {
        self.mix.tail(ms * 48)
    }

    /// Samples of the mix so far.
    pub fn mix_len(&self) -> usize {
        self.mix.len()
    }

    /// What this bot heard of `other` on its own (before gain).
    pub fn heard(&self, other: &VoiceBot) -> Vec<i16> {
        self.heard
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&other.voice())
            .map(MemoryTap::snapshot)
            .unwrap_or_default()
    }

    /// Leaves and stops the engine.
    pub async fn leave(&mut self) {
        if let Some(client) = self.client.take() {
            client.leave().await;
        }
        self.engine.shutdown().await;
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Drop for VoiceBot {
    fn drop(&mut self) {
        // A runtime cannot be dropped (blocking) inside the test's runtime.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
