//! `hearth-bot`: a headless Hearth client for debugging protocol flows and load tests, on `/signal`
//! (`sfu`, `load`) and `/world` (`world`, `world-load`).
//! Prints one JSON line per event on stdout; logs go to stderr.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use hearth_engine::events::EngineEvent;
use hearth_engine::sfu_client::{Downlink, SfuClient, SfuClientConfig, Uplink};
use hearth_engine::voice::VoiceEngine;
use sfu_core::ids::ChannelId;

// The load-test modules live in `hearth-bot/` beside this file, which stays where Cargo.toml
// names it.
#[path = "hearth-bot/capture_cost.rs"]
mod capture_cost;
#[path = "hearth-bot/flood.rs"]
mod flood;
#[path = "hearth-bot/latency.rs"]
mod latency;
#[path = "hearth-bot/load.rs"]
mod load;
#[path = "hearth-bot/metrics.rs"]
mod metrics;
#[path = "hearth-bot/mix_cost.rs"]
mod mix_cost;
#[path = "hearth-bot/probe_listener.rs"]
mod probe_listener;
#[path = "hearth-bot/report.rs"]
mod report;
#[path = "hearth-bot/soak.rs"]
mod soak;
#[path = "hearth-bot/target.rs"]
mod target;
#[path = "hearth-bot/walk.rs"]
mod walk;
#[path = "hearth-bot/window.rs"]
mod window;
#[path = "hearth-bot/world.rs"]
mod world;
#[path = "hearth-bot/world_load.rs"]
mod world_load;
#[path = "hearth-bot/world_report.rs"]
mod world_report;
#[path = "hearth-bot/world_stats.rs"]
mod world_stats;
#[path = "hearth-bot/world_user.rs"]
mod world_user;

#[derive(Parser)]
#[command(
    name = "hearth-bot",
    version,
    about = "Headless Hearth client: joins, talks, records, reports"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Join an SFU channel over `/signal`.
    Sfu(SfuArgs),
    /// Load-test an SFU: probe speakers and silent listeners in one room, measured.
    Load(load::LoadArgs),
    /// Join a world over `/world`; print its events, optionally walking.
    World(world::WorldArgs),
    /// List the sound devices (JSON).
    Devices,
    /// Measure mouth-to-ear latency through the engine (P2P or SFU), or the playout cost per
    /// remote speaker (`--mix-cost N`).
    Latency(latency::LatencyArgs),
    /// Load-test the world server: many users walking in their zones, broadcast delay measured.
    WorldLoad(world_load::WorldLoadArgs),
    /// Soak a host: joins and leaves on `/world` and `/signal` for a long run while members
    /// talk; the host's memory, descriptors and threads sampled.
    Soak(soak::SoakArgs),
}

#[derive(Args)]
struct SfuArgs {
    /// `ws://HOST:PORT/signal`.
    #[arg(long)]
    url: String,
    #[arg(long)]
    channel: i64,
    /// SFU join token (`hearth-host token sfu ...`).
    #[arg(long, env = "HEARTH_TOKEN", hide_env_values = true)]
    token: String,
    #[command(flatten)]
    voice: hearth_engine::voice::args::VoiceArgs,
    /// Leave after this long (e.g. 10s, 500ms, 2m); stay until Ctrl-C when absent.
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Local IP for media sockets.
    #[arg(long, default_value = "0.0.0.0")]
    bind: IpAddr,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, unit) = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .map_or((text, "s"), |i| text.split_at(i));
    let value: f64 = number
        .parse()
        .map_err(|_| format!("not a duration: {text:?}"))?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "s" | "" => value,
        "m" => value * 60.0,
        _ => return Err(format!("unknown unit in {text:?} (use ms, s or m)")),
    };
    Ok(Duration::from_secs_f64(secs))
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // A hundred clients starting at once make webrtc-rs warn about every packet written before
    // DTLS is up; the load report is what matters there.
    let default_filter = match cli.command {
        Command::Load(_) | Command::Soak(_) => "warn,rtc=error,rtc_dtls=error,rtc_ice=error",
        Command::Sfu(_)
        | Command::World(_)
        | Command::WorldLoad(_)
        | Command::Latency(_)
        | Command::Devices => "warn",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    match cli.command {
        Command::Sfu(args) => runtime.block_on(run_sfu(args)),
        Command::Load(args) => runtime.block_on(load::run(args)),
        Command::World(args) => runtime.block_on(world::run(args)),
        Command::WorldLoad(args) => runtime.block_on(world_load::run(args)),
        Command::Soak(args) => runtime.block_on(soak::run(args)),
        Command::Latency(args) => runtime.block_on(latency::run(args)),
        Command::Devices => {
            println!(
                "{}",
                serde_json::to_string(&hearth_engine::audio::device::list_devices()?)?
            );
            Ok(())
        }
    }
}

async fn run_sfu(args: SfuArgs) -> anyhow::Result<()> {
    // The same voice engine the app and `world` use: processing, talk gate, Opus, jitter
    // buffers, the mix (and with `--record`, DIR/user-<id>.wav and DIR/mix.wav).
    let (engine, _voice_events) = VoiceEngine::start(args.voice.voice_config()?)?;
    let config = SfuClientConfig {
        url: args.url,
        channel: ChannelId(args.channel),
        token: args.token,
        uplink: Uplink::Engine(engine.clone()),
        downlink: Downlink::Engine(engine.clone()),
        bind_ip: args.bind,
        tap: None,
    };
    let started = Instant::now();
    let (client, mut events) = SfuClient::connect(config).await?;
    let deadline = args.duration.map(|d| tokio::time::Instant::now() + d);
    let mut client = Some(client);
    loop {
        let timeout = async {
            match deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            event = events.recv() => {
                let Some(event) = event else { break };
                print_event(started, &event);
                if matches!(event, EngineEvent::Left { .. }) {
                    break;
                }
            }
            _ = timeout, if client.is_some() => {
                if let Some(c) = client.take() { c.leave().await }
            }
            _ = tokio::signal::ctrl_c(), if client.is_some() => {
                if let Some(c) = client.take() { c.leave().await }
            }
        }
    }
    // Stopping the engine finishes its recordings.
    engine.shutdown().await;
    Ok(())
}

/// Prints an event as one JSON line with `t_ms`, the time since `started`.
fn print_event<E: serde::Serialize>(started: Instant, event: &E) {
    let mut value = serde_json::to_value(event).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert("t_ms".into(), (started.elapsed().as_millis() as u64).into());
    }
    println!("{value}");
}
