//! `hearth-bot latency`: mouth-to-ear latency through the whole engine. One client talks clicks
//! (a source that notes when each click leaves the "mouth"), another listens (a sink that notes
//! when each click reaches the "ear", the moment the playout thread hands it to the output).
//! Both run here against a `hearth-host` this command starts, over P2P (two users side by side
//! in the open area) or through the SFU (a channel), with 10 or 20 ms frames. Also measures the
//! engine's cost per remote speaker decoded and mixed (`--mix-cost`).

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use hearth_engine::audio::processing::ProcessingConfig;
use hearth_engine::audio::{
    AudioSink, AudioSource, ClickSource, EncoderConfig, FrameDuration, JitterConfig, SilenceSource,
    TalkMode,
};
use hearth_engine::client::{ClientConfig, HearthClient};
use hearth_engine::p2p::plan::AudioRange;
use hearth_engine::sfu_client::{Downlink, SfuClient, SfuClientConfig, Uplink};
use hearth_engine::voice::args::Switch;
use hearth_engine::voice::{Path, VoiceConfig, VoiceEngine};
use sfu_core::ids::ChannelId;
use sfu_core::roles::Role;
use sfu_core::world::wire::WorldId;

use crate::target::{Sfu, SpawnedHost};

/// Time between clicks: longer than any plausible latency, so clicks pair up unambiguously.
const CLICK_PERIOD_MS: u32 = 500;
const CLICK_BURST_MS: u32 = 5;
/// A sample above this (fraction of full scale) after silence is a click's arrival.
const ONSET: f64 = 0.25;

/// The network path measured.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PathArg {
    P2p,
    Sfu,
}

/// Options of `hearth-bot latency`.
#[derive(Args)]
pub struct LatencyArgs {
    #[arg(long, value_enum, default_value_t = PathArg::Sfu)]
    path: PathArg,
    /// Opus frame length in milliseconds: 10 or 20.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(10..=20))]
    frame_ms: u32,
    /// Clicks to measure (one every 500 ms).
    #[arg(long, default_value_t = 30)]
    clicks: usize,
    /// Instead: the playout cost of this many remote speakers, decoded and mixed (no network).
    #[arg(long)]
    mix_cost: Option<usize>,
    /// Instead: the send side's cost per 10 ms (processing, gate, encoder; no network).
    #[arg(long, conflicts_with = "mix_cost")]
    capture_cost: bool,
    /// Echo cancellation, noise suppression and gain control on the talking side.
    #[arg(long, value_enum, default_value = "on")]
    processing: Switch,
}

/// Click times at the mouth and at the ear.
#[derive(Default)]
struct Clock {
    sent: Vec<Instant>,
    heard: Vec<Instant>,
}

type SharedClock = Arc<Mutex<Clock>>;

fn lock(clock: &SharedClock) -> std::sync::MutexGuard<'_, Clock> {
    clock.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Clicks, noting the time each one is read (it leaves the mouth).
struct Mouth {
    clicks: ClickSource,
    position: usize,
    clock: SharedClock,
}

impl AudioSource for Mouth {
    fn read(&mut self, frame: &mut [i16]) -> bool {
        let period = self.clicks.period_samples();
        let now = Instant::now();
        // A click starts at every multiple of the period; note those inside this frame.
        let end = self.position + frame.len();
        let mut onset = self.position.div_ceil(period) * period;
        while onset < end {
            let offset = Duration::from_micros(((onset - self.position) as u64 * 1000) / 48);
            lock(&self.clock).sent.push(now + offset);
            onset += period;
        }
        self.position = end;
        self.clicks.read(frame)
    }
}

/// Notes the time each click reaches the output (the ear).
struct Ear {
    clock: SharedClock,
    quiet: usize,
}

impl AudioSink for Ear {
    fn write(&mut self, samples: &[i16]) {
        let now = Instant::now();
        for (i, s) in samples.iter().enumerate() {
            if f64::from(*s).abs() / f64::from(i16::MAX) > ONSET {
                if self.quiet > 4_800 {
                    let offset = Duration::from_micros((i as u64 * 1000) / 48);
                    lock(&self.clock).heard.push(now + offset);
                }
                self.quiet = 0;
            } else {
                self.quiet += 1;
            }
        }
    }
}

fn engine(
    source: Box<dyn AudioSource>,
    output: Box<dyn AudioSink>,
    frame: FrameDuration,
    processing: ProcessingConfig,
) -> anyhow::Result<VoiceEngine> {
    let mut config = VoiceConfig::new(source, output);
    config.processing = processing;
    // No DTX here: between clicks the encoder would pause, and with 10 ms frames its first
    // packet after a pause does not carry a 5 ms click faithfully (see docs/BENCHMARKS.md).
    config.encoder = EncoderConfig {
        frame,
        dtx: false,
        ..EncoderConfig::default()
    };
    config.talk_mode = TalkMode::Open;
    let (engine, _events) = VoiceEngine::start(config)?;
    Ok(engine)
}

/// Runs the measurement and prints one JSON line of figures.
pub async fn run(args: LatencyArgs) -> anyhow::Result<()> {
    if let Some(speakers) = args.mix_cost {
        return crate::mix_cost::run(speakers);
    }
    if args.capture_cost {
        return crate::capture_cost::run();
    }
    let frame = if args.frame_ms < 20 {
        FrameDuration::Ms10
    } else {
        FrameDuration::Ms20
    };
    let (host, sfu) = SpawnedHost::start().await?;
    let clock: SharedClock = Arc::default();
    let mouth = Mouth {
        clicks: ClickSource::new(CLICK_PERIOD_MS, CLICK_BURST_MS),
        position: 0,
        clock: clock.clone(),
    };
    let ear = Ear {
        clock: clock.clone(),
        quiet: 0,
    };
    let processing = if args.processing == Switch::On {
        ProcessingConfig::default()
    } else {
        ProcessingConfig::OFF
    };
    let talker = engine(
        Box::new(mouth),
        Box::new(hearth_engine::audio::NullSink::new()),
        frame,
        processing,
    )?;
    let listener = engine(
        Box::new(SilenceSource::new()),
        Box::new(ear),
        frame,
        processing,
    )?;
    let sessions = match args.path {
        PathArg::Sfu => Sessions::Sfu(vec![
            join_sfu(&sfu, 1, &talker).await?,
            join_sfu(&sfu, 2, &listener).await?,
        ]),
        PathArg::P2p => Sessions::World(vec![
            join_world(&sfu, "talker", &talker).await?,
            join_world(&sfu, "listener", &listener).await?,
        ]),
    };
    // Wait for the first click to come through, then measure.
    let deadline = Instant::now() + Duration::from_secs(20);
    while lock(&clock).heard.is_empty() {
        if Instant::now() > deadline {
            bail!("no click came through within 20 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let want = lock(&clock).heard.len() + args.clicks;
    let deadline = Instant::now() + Duration::from_secs(args.clicks as u64 + 10);
    while lock(&clock).heard.len() < want && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let latencies = pair(&lock(&clock));
    let jitter: Vec<_> = listener
        .remote_status()
        .keys()
        .flat_map(|u| {
            [Path::P2p, Path::Sfu]
                .into_iter()
                .filter_map(|p| listener.jitter_stats(*u, p))
                .collect::<Vec<_>>()
        })
        .map(|s| format!("{s:?}"))
        .collect();
    sessions.leave().await;
    talker.shutdown().await;
    listener.shutdown().await;
    host.stop().await;
    if latencies.len() < args.clicks / 2 {
        bail!("only {} clicks paired", latencies.len());
    }
    let mut ms: Vec<f64> = latencies.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
    let report = serde_json::json!({
        "path": match args.path { PathArg::P2p => "p2p", PathArg::Sfu => "sfu" },
        "frame_ms": frame.millis(),
        "processing": args.processing == Switch::On,
        "clicks": ms.len(),
        "p50_ms": (pct(0.5) * 10.0).round() / 10.0,
        "p90_ms": (pct(0.9) * 10.0).round() / 10.0,
        "max_ms": (pct(1.0) * 10.0).round() / 10.0,
        "jitter_min_delay_ms": JitterConfig::default().min_delay.as_millis() as u64,
        "jitter": jitter,
    });
    println!("{report}");
    Ok(())
}

/// Pairs each heard click with the last click sent before it (clicks are 500 ms apart).
fn pair(clock: &Clock) -> Vec<Duration> {
    clock
        .heard
        .iter()
        .filter_map(|heard| {
            let sent = clock.sent.iter().rev().find(|s| *s <= heard)?;
            let latency = heard.duration_since(*sent);
            (latency < Duration::from_millis(u64::from(CLICK_PERIOD_MS) / 2 * 2)).then_some(latency)
        })
        .collect()
}

enum Sessions {
    Sfu(Vec<SfuClient>),
    World(Vec<HearthClient>),
}

impl Sessions {
    async fn leave(self) {
        match self {
            Self::Sfu(clients) => {
                for c in clients {
                    c.leave().await;
                }
            }
            Self::World(clients) => {
                for c in clients {
                    c.leave().await;
                }
            }
        }
    }
}

async fn join_sfu(sfu: &Sfu, user: i64, engine: &VoiceEngine) -> anyhow::Result<SfuClient> {
    let token = sfu.member_token(user, 7)?;
    let (client, _events) = SfuClient::connect(SfuClientConfig {
        url: sfu.signal_url.clone(),
        channel: ChannelId(7),
        token,
        uplink: Uplink::Engine(engine.clone()),
        downlink: Downlink::Engine(engine.clone()),
        bind_ip: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        tap: None,
    })
    .await?;
    Ok(client)
}

async fn join_world(sfu: &Sfu, name: &str, engine: &VoiceEngine) -> anyhow::Result<HearthClient> {
    let user = crate::world::random_uuid(&mut rand::rng());
    let workspace = sfu
        .workspace_id
        .clone()
        .unwrap_or_else(crate::world::demo_workspace);
    let token = crate::world::mint(
        &sfu.secret,
        &sfu.issuer,
        &workspace,
        &user,
        name,
        &[Role::Member],
    )?;
    let world_id = sfu
        .world_id
        .clone()
        .context("the spawned host did not say its world id")?;
    let (engine_events_tx, engine_events) = tokio::sync::mpsc::channel(16);
    drop(engine_events_tx);
    let (client, mut events) = HearthClient::connect(
        ClientConfig {
            world_url: format!("ws://{}/world", sfu.http_addr),
            token,
            world_id: WorldId::new(world_id),
            bind_ip: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            range: AudioRange::default(),
            relay_only: false,
            tap: None,
        },
        engine.clone(),
        engine_events,
    )
    .await?;
    tokio::spawn(async move { while events.recv().await.is_some() {} });
    Ok(client)
}
