//! `hearth-bot soak`: a long run of joins and leaves against one host (spawned next to this
//! binary) while a few members stay and talk. The host's memory, open file descriptors and
//! threads are sampled from `/proc`; every session that ends when it should not, and every churn
//! join that fails, is counted. Issue 14's figures: RSS growth after the first 5 minutes under
//! 10 %, descriptors and threads flat, no session lost.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use hearth_engine::events::EngineEvent;
use hearth_engine::media::probe::ProbeRecorder;
use hearth_engine::sfu_client::{Downlink, SfuClient, SfuClientConfig, Uplink};
use hearth_engine::world_client::{WorldClient, WorldEvent};
use serde::Serialize;
use sfu_core::ids::ChannelId;
use sfu_core::roles::Role;
use sfu_core::world::wire::WorldId;
use tokio::sync::mpsc;

use crate::probe_listener::{ListenerConfig, ProbeListener};
use crate::target::{Sfu, SpawnedHost};

/// The SFU channel every member joins.
const CHANNEL: i64 = 1;
/// Talkers' user ids start here; churners' after [`FIRST_CHURNER`].
const FIRST_TALKER: i64 = 1;
const FIRST_CHURNER: i64 = 1_000_000;
/// Bound on one join (socket, sign-in or offer/answer, ICE, DTLS).
const JOIN_TIMEOUT: Duration = Duration::from_secs(10);
/// The baseline is taken this far in (or at a sixth of a shorter run).
const SETTLE: Duration = Duration::from_secs(300);

/// Options of `hearth-bot soak`.
#[derive(Args)]
pub struct SoakArgs {
    /// Length of the run (e.g. 30m).
    #[arg(long, value_parser = crate::parse_duration, default_value = "30m")]
    duration: Duration,
    /// Joins per second, alternating `/world` and `/signal`.
    #[arg(long, default_value_t = 5.0)]
    rate: f64,
    /// How long each churning member stays before it leaves.
    #[arg(long, value_parser = crate::parse_duration, default_value = "2s")]
    stay: Duration,
    /// Members who stay for the whole run and talk (probes on `/signal`).
    #[arg(long, default_value_t = 4)]
    talkers: usize,
    /// Time between two samples of the host.
    #[arg(long, value_parser = crate::parse_duration, default_value = "10s")]
    sample_every: Duration,
}

/// The host as `/proc` shows it.
#[derive(Debug, Clone, Copy, Serialize)]
struct HostSample {
    at_s: f64,
    rss_mb: f64,
    fds: usize,
    threads: usize,
}

/// What a run found, printed as one JSON line.
#[derive(Debug, Serialize)]
struct SoakReport {
    duration_s: f64,
    joins_per_s: f64,
    churn_joins_ok: u64,
    churn_joins_failed: u64,
    talkers: usize,
    talkers_lost: usize,
    talker_probes_received: u64,
    talker_probes_lost: u64,
    baseline: HostSample,
    end: HostSample,
    peak_rss_mb: f64,
    rss_growth_after_baseline_pct: f64,
}

/// Churn counters shared by the churn tasks.
#[derive(Default)]
struct Churn {
    ok: AtomicU64,
    failed: AtomicU64,
}

/// Runs the soak and prints its report (progress on stderr, JSON on stdout).
pub async fn run(args: SoakArgs) -> anyhow::Result<()> {
    anyhow::ensure!(
        args.rate > 0.0 && args.rate <= 50.0,
        "--rate must be in (0, 50]"
    );
    let (host, sfu) = SpawnedHost::start().await?;
    let outcome = soak(&args, &sfu).await;
    host.stop().await;
    let report = outcome?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

async fn soak(args: &SoakArgs, sfu: &Sfu) -> anyhow::Result<SoakReport> {
    let pid = sfu.pid.context("the spawned host has a pid")?;
    let started = Instant::now();
    let mut talkers = Vec::new();
    for n in 0..args.talkers {
        talkers.push(Talker::join(sfu, FIRST_TALKER + n as i64).await?);
    }
    let churn = Arc::new(Churn::default());
    let shared = Arc::new(sfu.clone());
    let next_user = AtomicU64::new(0);
    let settle = SETTLE.min(args.duration / 6);
    let mut joins = tokio::time::interval(Duration::from_secs_f64(1.0 / args.rate));
    let mut samples = tokio::time::interval(args.sample_every);
    let mut baseline = None;
    let mut last = sample(pid, started)?;
    let mut peak_rss_mb = last.rss_mb;
    eprintln!(
        "soak: {:?} at {} joins/s, {} talkers",
        args.duration, args.rate, args.talkers
    );
    while started.elapsed() < args.duration {
        tokio::select! {
            _ = joins.tick() => {
                let n = next_user.fetch_add(1, Ordering::Relaxed);
                let user = FIRST_CHURNER + n as i64;
                let world = n.is_multiple_of(2);
                let task = churn_once(shared.clone(), user, world, args.stay, churn.clone());
                tokio::spawn(task);
            }
            _ = samples.tick() => {
                last = sample(pid, started)?;
                peak_rss_mb = peak_rss_mb.max(last.rss_mb);
                if baseline.is_none() && started.elapsed() >= settle {
                    baseline = Some(last);
                }
                eprintln!(
                    "soak: {:>6.0} s  rss {:>6.1} MB  fds {:>4}  threads {:>3}  joins ok {} failed {}",
                    last.at_s, last.rss_mb, last.fds, last.threads,
                    churn.ok.load(Ordering::Relaxed), churn.failed.load(Ordering::Relaxed),
                );
            }
        }
    }
    // Let the last churners leave before the final sample.
    tokio::time::sleep(args.stay + JOIN_TIMEOUT).await;
    let end = sample(pid, started)?;
    let baseline = baseline.unwrap_or(end);
    let talkers_lost = talkers
        .iter()
        .filter(|t| t.ended.load(Ordering::Relaxed))
        .count();
    let (received, lost) = talkers.iter().fold((0, 0), |(r, l), t| {
        t.recorder.with(|stats| {
            let heard = stats.senders().values();
            heard.fold((r, l), |(r, l), c| (r + c.received, l + c.lost()))
        })
    });
    for talker in talkers {
        let _ = tokio::time::timeout(Duration::from_secs(5), talker.client.leave()).await;
    }
    Ok(SoakReport {
        duration_s: started.elapsed().as_secs_f64(),
        joins_per_s: args.rate,
        churn_joins_ok: churn.ok.load(Ordering::Relaxed),
        churn_joins_failed: churn.failed.load(Ordering::Relaxed),
        talkers: args.talkers,
        talkers_lost,
        talker_probes_received: received,
        talker_probes_lost: lost,
        baseline,
        end,
        peak_rss_mb,
        rss_growth_after_baseline_pct: (end.rss_mb / baseline.rss_mb - 1.0) * 100.0,
    })
}

/// A member who stays and talks (probes) for the whole run.
struct Talker {
    client: SfuClient,
    recorder: Arc<ProbeRecorder>,
    ended: Arc<AtomicBool>,
}

impl Talker {
    async fn join(sfu: &Sfu, user: i64) -> anyhow::Result<Self> {
        let recorder = Arc::new(ProbeRecorder::new());
        let (client, mut events) = SfuClient::connect(SfuClientConfig {
            url: sfu.signal_url.clone(),
            channel: ChannelId(CHANNEL),
            token: sfu.member_token(user, CHANNEL)?,
            uplink: Uplink::Probe,
            downlink: Downlink::Probe(recorder.clone()),
            bind_ip: std::net::Ipv4Addr::LOCALHOST.into(),
            tap: None,
        })
        .await?;
        media_connected(&mut events)
            .await
            .with_context(|| format!("talker {user} joining"))?;
        let ended = Arc::new(AtomicBool::new(false));
        let flag = ended.clone();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if matches!(event, EngineEvent::Left { .. } | EngineEvent::Kicked { .. }) {
                    flag.store(true, Ordering::Relaxed);
                }
            }
        });
        Ok(Self {
            client,
            recorder,
            ended,
        })
    }
}

/// One churning member: joins `/world` (or `/signal`), stays, leaves; counts the outcome.
async fn churn_once(sfu: Arc<Sfu>, user: i64, world: bool, stay: Duration, churn: Arc<Churn>) {
    let joined = if world {
        churn_world(&sfu, user, stay).await
    } else {
        churn_signal(&sfu, user, stay).await
    };
    match joined {
        Ok(()) => churn.ok.fetch_add(1, Ordering::Relaxed),
        Err(e) => {
            tracing::warn!(user, error = format!("{e:#}"), "a churn join failed");
            churn.failed.fetch_add(1, Ordering::Relaxed)
        }
    };
}

async fn churn_world(sfu: &Sfu, user: i64, stay: Duration) -> anyhow::Result<()> {
    let world_id = WorldId::new(
        sfu.world_id
            .clone()
            .context("the host printed no world id")?,
    );
    let workspace = sfu
        .workspace_id
        .clone()
        .context("the host printed no workspace id")?;
    let user_id = uuid::Uuid::from_u64_pair(0, user as u64).to_string();
    let token = crate::world::mint(
        &sfu.secret,
        &sfu.issuer,
        &workspace,
        &user_id,
        &format!("soak {user}"),
        &[Role::Member],
    )?;
    let url = format!("ws://{}/world", sfu.http_addr);
    let (client, mut events) = WorldClient::connect(&url, token, world_id).await?;
    tokio::time::timeout(JOIN_TIMEOUT, async {
        while let Some(event) = events.recv().await {
            if matches!(event, WorldEvent::WorldState { .. }) {
                return Ok(());
            }
        }
        anyhow::bail!("the world session ended before its WORLD_STATE")
    })
    .await
    .context("no WORLD_STATE in time")??;
    tokio::time::sleep(stay).await;
    client.leave().await;
    Ok(())
}

async fn churn_signal(sfu: &Sfu, user: i64, stay: Duration) -> anyhow::Result<()> {
    let (listener, mut events) = ProbeListener::connect(ListenerConfig {
        url: sfu.signal_url.clone(),
        channel: ChannelId(CHANNEL),
        token: sfu.member_token(user, CHANNEL)?,
        muted_mic: true,
        recorder: Arc::new(ProbeRecorder::new()),
        bind_ip: std::net::Ipv4Addr::LOCALHOST.into(),
    })
    .await?;
    media_connected(&mut events).await?;
    tokio::time::sleep(stay).await;
    listener.leave().await;
    Ok(())
}

/// Waits up to [`JOIN_TIMEOUT`] for the session's media to connect.
async fn media_connected(events: &mut mpsc::Receiver<EngineEvent>) -> anyhow::Result<()> {
    tokio::time::timeout(JOIN_TIMEOUT, crate::load::media_connected(events))
        .await
        .context("not connected in time")?
}

/// The host's resident memory, open descriptors and threads now.
fn sample(pid: u32, started: Instant) -> anyhow::Result<HostSample> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .with_context(|| format!("reading /proc/{pid}/fd"))?
        .count();
    Ok(HostSample {
        at_s: started.elapsed().as_secs_f64(),
        rss_mb: field("VmRSS:") as f64 / 1024.0,
        fds,
        threads: field("Threads:") as usize,
    })
}
