//! `hearth-bot load`: one room of probe speakers and silent listeners against one SFU, measured
//! from outside (the SFU's `/metrics` and `/proc`) and from the clients (probe loss and one-way
//! latency; senders and receivers share this process's clock).
//!
//! Order of a run: listeners join, then speakers; once every stream flows, a warm-up; then the
//! measurement window; then one listener joins late, the one figure a user notices when entering a
//! busy room.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use hearth_engine::events::EngineEvent;
use hearth_engine::media::probe::{self, ProbeRecorder};
use hearth_engine::sfu_client::{Downlink, SfuClient, SfuClientConfig, Uplink};
use sfu_core::ids::ChannelId;
use tokio::sync::mpsc;

use crate::metrics::{self, Scrape};
use crate::probe_listener::{ListenerConfig, ProbeListener};
use crate::report::LoadReport;
use crate::target::{self, Sfu, SpawnedHost};
use crate::window::{self, Counters, Measured};

/// User ids: speakers from 1, listeners from here, the late listener at [`LATE_LISTENER`];
/// room r adds r x [`ROOM_IDS`].
const FIRST_LISTENER: i64 = 100_001;
const LATE_LISTENER: i64 = 200_001;
/// The `--flood` member's user id.
const FLOODER: i64 = 300_001;
const ROOM_IDS: i64 = 1_000_000;
/// Bound on one join (WebSocket, offer/answer, ICE, DTLS).
const JOIN_TIMEOUT: Duration = Duration::from_secs(30);
/// Bound on waiting for every stream to reach every receiver, and for the late listener's audio.
const FLOW_TIMEOUT: Duration = Duration::from_secs(30);
/// How long after the window closes probes still in flight may arrive.
const DRAIN: Duration = Duration::from_millis(500);
/// How long each client may take to leave at the end.
const LEAVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Options of `hearth-bot load`.
#[derive(Args)]
pub struct LoadArgs {
    /// Clients sending probes (one 80-byte packet every 20 ms each).
    #[arg(long, default_value_t = 1)]
    speakers: usize,
    /// Clients only listening.
    #[arg(long, default_value_t = 50)]
    listeners: usize,
    /// Length of the measurement window (e.g. 30s).
    #[arg(long, value_parser = crate::parse_duration, default_value = "30s")]
    duration: Duration,
    /// Time between every stream flowing and the window opening.
    #[arg(long, value_parser = crate::parse_duration, default_value = "3s")]
    warmup: Duration,
    /// Channel of the (first) room.
    #[arg(long, default_value_t = 1)]
    channel: i64,
    /// Independent copies of the room, each in its own channel (`--channel`, +1, ...): a host
    /// places channels on its workers, so N rooms load N workers.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=64))]
    rooms: u32,
    /// `ws://HOST:PORT/signal` of a running SFU; without it a `hearth-host` is started on
    /// 127.0.0.1 from the directory of this binary.
    #[arg(long, requires = "secret")]
    url: Option<String>,
    /// Token secret of the SFU at `--url`.
    #[arg(long, env = "HEARTH_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// Token issuer of the SFU at `--url`.
    #[arg(long, env = "HEARTH_ISSUER", default_value = "hearth")]
    issuer: String,
    /// PID of the SFU at `--url`, for its CPU time (n/a without it).
    #[arg(long)]
    host_pid: Option<u32>,
    /// Local IP for the clients' media sockets.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Clients joining at the same time.
    #[arg(long, default_value_t = 8)]
    join_concurrency: usize,
    /// Every listener also publishes a microphone track that sends nothing, as a muted member's
    /// does: the room a voice world has, with one m-line per member on every peer.
    #[arg(long)]
    muted_mics: bool,
    /// The listeners' client: `light` (str0m, probes counted straight off the wire: cheap enough
    /// that the SFU, not this process, saturates first) or `full` (the app's client stack,
    /// webrtc-rs, as figures before the light client were taken).
    #[arg(long, value_enum, default_value_t = ListenerClient::Light)]
    listener_client: ListenerClient,
    /// One more member joins the first room and sends this many heartbeats as fast as it can
    /// when the window opens (0: none): the figures then say what the others noticed of it.
    #[arg(long, default_value_t = 0)]
    flood: u64,
}

/// Which client stack the listeners run.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ListenerClient {
    Light,
    Full,
}

/// One member's connection: the full client or the light probe listener.
enum Connection {
    Full(SfuClient),
    Light(ProbeListener),
}

impl Connection {
    async fn leave(self) {
        match self {
            Self::Full(client) => client.leave().await,
            Self::Light(listener) => listener.leave().await,
        }
    }
}

/// Runs the scenario and prints its report (table on stderr, JSON line on stdout).
pub async fn run(args: LoadArgs) -> anyhow::Result<()> {
    let (spawned, sfu) = match &args.url {
        Some(url) => {
            let secret = args.secret.clone().context("--url needs --secret")?;
            let sfu = Sfu::external(url.clone(), secret, args.issuer.clone(), args.host_pid)?;
            (None, sfu)
        }
        None => {
            let (host, sfu) = SpawnedHost::start().await?;
            (Some(host), sfu)
        }
    };
    let outcome = measure(&args, &sfu).await;
    if let Some(host) = spawned {
        host.stop().await;
    }
    let report = outcome?;
    report.print_table();
    println!(
        "{}",
        serde_json::to_string(&report).context("serializing the report")?
    );
    Ok(())
}

/// One client of a room.
struct Member {
    user: i64,
    /// Its room's speakers (every one but itself must reach it).
    room_speakers: Arc<[i64]>,
    client: Connection,
    recorder: Arc<ProbeRecorder>,
    join_started_ns: u64,
    media_connected_ns: u64,
    /// Set when the session ends by itself.
    ended: Arc<AtomicBool>,
}

async fn measure(args: &LoadArgs, sfu: &Sfu) -> anyhow::Result<LoadReport> {
    let mut members = Vec::new();
    let mut speaker_ids = Vec::new();
    for room in 0..i64::from(args.rooms) {
        let channel = args.channel + room;
        let offset = room * ROOM_IDS;
        let speakers: Arc<[i64]> = (offset + 1..).take(args.speakers).collect();
        let listeners: Vec<i64> = (offset + FIRST_LISTENER..).take(args.listeners).collect();
        eprintln!(
            "room {}: joining {} listeners, then {} speakers at {} (channel {channel})",
            room + 1,
            args.listeners,
            args.speakers,
            sfu.signal_url
        );
        let room_members = |users: Vec<i64>, speaks: bool| {
            join_all(sfu, args, channel, users, speaks, speakers.clone())
        };
        members.extend(room_members(listeners, false).await?);
        members.extend(room_members(speakers.to_vec(), true).await?);
        speaker_ids.extend(speakers.iter().copied());
    }
    if !wait_until_flowing(&members).await {
        tracing::warn!("not every stream reached every receiver; measuring anyway");
    }
    let initial_joins: Vec<u64> = members
        .iter()
        .filter(|m| !m.room_speakers.contains(&m.user))
        .filter_map(|m| {
            let first = m.recorder.with(|s| s.first_packet_ns())?;
            Some(first.saturating_sub(m.join_started_ns))
        })
        .collect();
    eprintln!("every stream flowing; warming up for {:?}", args.warmup);
    tokio::time::sleep(args.warmup).await;

    let clock_ticks = target::clock_ticks_per_second();
    let start = Counters::take(sfu.pid, scrape(sfu).await);
    window::open(
        members
            .iter()
            .map(|m| (m.user, &*m.recorder, &*m.room_speakers)),
        &speaker_ids,
    );
    let flood = (args.flood > 0)
        .then(|| {
            let token = sfu.member_token(FLOODER, args.channel)?;
            let url = sfu.signal_url.clone();
            let run = crate::flood::signal(url, token, ChannelId(args.channel), args.flood);
            anyhow::Ok(tokio::spawn(run))
        })
        .transpose()?;
    eprintln!("measuring for {:?}", args.duration);
    tokio::time::sleep(args.duration).await;
    let end = Counters::take(sfu.pid, scrape(sfu).await);
    let flood = match flood {
        Some(task) => Some(task.await.context("the flooder panicked")??),
        None => None,
    };
    window::close(members.iter().map(|m| (m.user, &*m.recorder)), &speaker_ids);
    tokio::time::sleep(DRAIN).await;
    let probes = window::collect(members.iter().map(|m| &*m.recorder));
    let ended_early = members
        .iter()
        .filter(|m| m.ended.load(Ordering::Relaxed))
        .count();

    eprintln!("measuring a late join");
    // A late join that fails is a finding, not a failed run.
    let late = match join(
        sfu,
        args,
        args.channel,
        LATE_LISTENER,
        false,
        speaker_ids[..args.speakers].into(),
    )
    .await
    {
        Ok(late) => {
            let first_audio = first_audio(&late).await;
            let media = late.media_connected_ns.saturating_sub(late.join_started_ns);
            members.push(late);
            Ok((media, first_audio))
        }
        Err(e) => {
            tracing::warn!(error = format!("{e:#}"), "the late join failed");
            Err(format!("{e:#}"))
        }
    };
    leave_all(members).await;

    Ok(window::report(Measured {
        speakers: args.speakers,
        listeners: args.listeners,
        rooms: args.rooms as usize,
        flood,
        start,
        end,
        clock_ticks,
        probes,
        ended_early,
        initial_joins_ns: initial_joins,
        late_join: late,
    }))
}

/// A `/metrics` scrape; empty (every figure n/a) when the SFU does not answer.
async fn scrape(sfu: &Sfu) -> Scrape {
    match metrics::fetch(&sfu.http_addr).await {
        Ok(text) => metrics::parse(&text),
        Err(e) => {
            tracing::warn!(error = %e, "cannot read /metrics");
            Scrape::default()
        }
    }
}

async fn join_all(
    sfu: &Sfu,
    args: &LoadArgs,
    channel: i64,
    users: Vec<i64>,
    speaks: bool,
    room_speakers: Arc<[i64]>,
) -> anyhow::Result<Vec<Member>> {
    stream::iter(users)
        .map(|user| join(sfu, args, channel, user, speaks, room_speakers.clone()))
        .buffer_unordered(args.join_concurrency.max(1))
        .try_collect()
        .await
}

/// Joins `channel` as `user` (probe speaker or silent listener) and waits for media to connect.
async fn join(
    sfu: &Sfu,
    args: &LoadArgs,
    channel: i64,
    user: i64,
    speaks: bool,
    room_speakers: Arc<[i64]>,
) -> anyhow::Result<Member> {
    let token = sfu.member_token(user, channel)?;
    let recorder = Arc::new(ProbeRecorder::new());
    let join_started_ns = probe::now_ns();
    let (client, mut events) = if !speaks && args.listener_client == ListenerClient::Light {
        let (listener, events) = ProbeListener::connect(ListenerConfig {
            url: sfu.signal_url.clone(),
            channel: ChannelId(channel),
            token,
            muted_mic: args.muted_mics,
            recorder: recorder.clone(),
            bind_ip: args.bind,
        })
        .await
        .with_context(|| format!("user {user} connecting"))?;
        (Connection::Light(listener), events)
    } else {
        let (client, events) = SfuClient::connect(SfuClientConfig {
            url: sfu.signal_url.clone(),
            channel: ChannelId(channel),
            token,
            uplink: match (speaks, args.muted_mics) {
                (true, _) => Uplink::Probe,
                (false, true) => Uplink::Muted,
                (false, false) => Uplink::Silent,
            },
            downlink: Downlink::Probe(recorder.clone()),
            bind_ip: args.bind,
            tap: None,
        })
        .await
        .with_context(|| format!("user {user} connecting"))?;
        (Connection::Full(client), events)
    };
    tokio::time::timeout(JOIN_TIMEOUT, media_connected(&mut events))
        .await
        .with_context(|| format!("user {user}: no media within {JOIN_TIMEOUT:?}"))?
        .with_context(|| format!("user {user} joining"))?;
    let media_connected_ns = probe::now_ns();
    let ended = Arc::new(AtomicBool::new(false));
    let flag = ended.clone();
    // Keeps the engine's event queue empty; notes a session that ends by itself.
    tokio::spawn(async move {
        while let Some(event) = events.recv().await {
            tracing::trace!(user, ?event, "engine event");
            if matches!(event, EngineEvent::Left { .. } | EngineEvent::Kicked { .. }) {
                flag.store(true, Ordering::Relaxed);
            }
        }
    });
    Ok(Member {
        user,
        room_speakers,
        client,
        recorder,
        join_started_ns,
        media_connected_ns,
        ended,
    })
}

/// Waits until the session's media connects; an error when it is refused or ends first.
pub(crate) async fn media_connected(
    events: &mut mpsc::Receiver<EngineEvent>,
) -> anyhow::Result<()> {
    while let Some(event) = events.recv().await {
        tracing::debug!(?event, "while joining");
        match event {
            EngineEvent::MediaConnected => return Ok(()),
            EngineEvent::JoinRefused { code } => bail!("join refused: {code}"),
            EngineEvent::Left { reason } => bail!("session ended: {reason}"),
            _ => {}
        }
    }
    bail!("session ended before media connected")
}

/// Waits until every member has heard from every speaker of its room but itself; false on
/// timeout.
async fn wait_until_flowing(members: &[Member]) -> bool {
    let deadline = Instant::now() + FLOW_TIMEOUT;
    loop {
        let flowing = members.iter().all(|m| {
            m.recorder.with(|stats| {
                m.room_speakers
                    .iter()
                    .all(|s| *s == m.user || stats.senders().contains_key(s))
            })
        });
        if flowing {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Join start to the first probe of `member`, nanoseconds; `None` if none came in time.
async fn first_audio(member: &Member) -> Option<u64> {
    let deadline = Instant::now() + FLOW_TIMEOUT;
    while Instant::now() < deadline {
        if let Some(first) = member.recorder.with(|s| s.first_packet_ns()) {
            return Some(first.saturating_sub(member.join_started_ns));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    None
}

async fn leave_all(members: Vec<Member>) {
    stream::iter(members)
        .for_each_concurrent(16, |m| async move {
            let _ = tokio::time::timeout(LEAVE_TIMEOUT, m.client.leave()).await;
        })
        .await;
}
