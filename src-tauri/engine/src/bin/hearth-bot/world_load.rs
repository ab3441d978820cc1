//! `hearth-bot world-load`: many users in one world, each walking inside its zone and sending
//! presence at `--rate`, measured from outside (the host's `/proc` CPU time and `/metrics`) and
//! from the clients (broadcast delay: senders and receivers share this process's clock).
//!
//! Order of a run: a scout reads the world file from `WORLD_STATE`; the users are spread over
//! the zones (rooms filled to capacity, Admins in private rooms, the rest in the open area);
//! they join, walk to their zones and wander there; then a warm-up, the window, a short drain.
//!
//! Without `--url` a `hearth-host` is started next to this binary on a *load world*: the demo
//! world with its open area's capacity raised to `--users`, written to a temporary file. The demo
//! world itself holds only 99 users (open area 50, team area 25, meeting room 16, private room
//! 8), and everyone spawns in the open area before walking on.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use hearth_engine::media::probe::now_ns;
use hearth_engine::world_client::WorldClient;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::{Map, Value};
use sfu_core::roles::Role;
use sfu_core::world::map::{World, WorldFile, ZoneType, load_world};
use sfu_core::world::wire::WorldId;
use tokio::sync::watch;

use crate::target::{self, SpawnedHost};
use crate::world::{http_addr, mint, random_uuid};
use crate::world_report::{self, Measured, WorldLoadReport, ZoneLoad};
use crate::world_stats::{SendLog, UserStats, Window};
use crate::world_user::{self, Shared, UserPlan};

/// Bound on the scout's sign-in.
const SCOUT_TIMEOUT: Duration = Duration::from_secs(10);
/// Bound on everyone reaching their zone.
const ARRIVE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long after the window closes broadcasts still in flight may arrive.
const DRAIN: Duration = Duration::from_millis(500);

/// Options of `hearth-bot world-load`.
#[derive(Args)]
pub struct WorldLoadArgs {
    /// Users in the world (a Hearth world holds at most 150).
    #[arg(long, default_value_t = 150)]
    users: usize,
    /// Presence updates per user per second (the protocol allows 15).
    #[arg(long, default_value_t = 15.0)]
    rate: f64,
    /// Length of the measurement window (e.g. 30s).
    #[arg(long, value_parser = crate::parse_duration, default_value = "30s")]
    duration: Duration,
    /// Time between everyone being in place and the window opening.
    #[arg(long, value_parser = crate::parse_duration, default_value = "3s")]
    warmup: Duration,
    /// `ws://HOST:PORT/world` of a running host whose world holds `--users` in its zones;
    /// without it a `hearth-host` is started on a load world (see the module docs).
    #[arg(long, requires_all = ["secret", "world_id"])]
    url: Option<String>,
    /// Token secret of the host at `--url`.
    #[arg(long, env = "HEARTH_SECRET", hide_env_values = true)]
    secret: Option<String>,
    /// Token issuer of the host at `--url`.
    #[arg(long, env = "HEARTH_ISSUER", default_value = "hearth")]
    issuer: String,
    /// World id of the host at `--url` (its `listening` line).
    #[arg(long)]
    world_id: Option<String>,
    /// The world's workspace at `--url` (hearth-host prints it); the demo world's when absent.
    #[arg(long)]
    workspace_id: Option<String>,
    /// PID of the host at `--url`, for its CPU time (n/a without it).
    #[arg(long)]
    host_pid: Option<u32>,
    /// Users connecting at the same time.
    #[arg(long, default_value_t = 16)]
    join_concurrency: usize,
    /// One more client signs in and sends this many `PRESENCE_UPDATE`s as fast as it can when
    /// the window opens (0: none): the figures then say what the others noticed of it.
    #[arg(long, default_value_t = 0)]
    flood: u64,
}

/// The world host under load.
struct Target {
    world_url: String,
    http_addr: String,
    secret: Vec<u8>,
    issuer: String,
    world_id: WorldId,
    /// The world's workspace, which the tokens name.
    workspace: String,
    pid: Option<u32>,
}

/// Runs the scenario and prints its report (table on stderr, JSON line on stdout).
pub async fn run(args: WorldLoadArgs) -> anyhow::Result<()> {
    if args.rate <= 0.0 || args.rate > 15.0 {
        bail!("--rate must be in (0, 15]: the server drops presence beyond 15/s");
    }
    let mut _world_file = None;
    let (spawned, target) = match &args.url {
        Some(url) => {
            let target = Target {
                world_url: url.clone(),
                http_addr: http_addr(url)?,
                secret: args
                    .secret
                    .clone()
                    .context("--url needs --secret")?
                    .into_bytes(),
                issuer: args.issuer.clone(),
                world_id: WorldId::new(args.world_id.clone().context("--url needs --world-id")?),
                workspace: args
                    .workspace_id
                    .clone()
                    .unwrap_or_else(crate::world::demo_workspace),
                pid: args.host_pid,
            };
            (None, target)
        }
        None => {
            let file = LoadWorldFile::write(args.users)?;
            let world_arg = [std::ffi::OsStr::new("--world"), file.path.as_os_str()];
            let (host, sfu) = SpawnedHost::start_with(&world_arg).await?;
            _world_file = Some(file);
            let target = Target {
                world_url: format!("ws://{}/world", sfu.http_addr),
                http_addr: sfu.http_addr,
                secret: sfu.secret,
                issuer: sfu.issuer,
                world_id: WorldId::new(sfu.world_id.context("the host printed no world id")?),
                workspace: sfu
                    .workspace_id
                    .context("the host printed no workspace id")?,
                pid: sfu.pid,
            };
            (Some(host), target)
        }
    };
    let outcome = measure(&args, &target).await;
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

/// The demo world with a bigger open area, in a temporary file removed on drop.
struct LoadWorldFile {
    path: PathBuf,
}

impl LoadWorldFile {
    fn write(users: usize) -> anyhow::Result<Self> {
        let demo = World::demo();
        let spawn = demo.open_area_spawn().position;
        let open = demo
            .zone_at(spawn.x, spawn.y)
            .context("the demo's spawn point lies in a zone")?;
        let capacity = users.max(open.capacity as usize);
        let mut file = WorldFile::from(&demo);
        for zone in file.zones.iter_mut().filter(|z| z.id == open.id.as_str()) {
            zone.overrides
                .get_or_insert_with(Map::new)
                .insert("capacity".into(), Value::from(capacity));
        }
        let text = serde_json::to_string_pretty(&file).context("writing the load world")?;
        load_world(&text).context("the load world does not validate")?;
        let path =
            std::env::temp_dir().join(format!("hearth-world-load-{}.json", std::process::id()));
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
        Ok(Self { path })
    }
}

impl Drop for LoadWorldFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Which zone each user lives in, and with which roles: rooms (most specific first) filled up to
/// capacity, Admins in private rooms, the rest in the open area of the spawn points.
fn plan(world: &World, users: usize) -> anyhow::Result<Vec<UserPlan>> {
    let spawn = world.open_area_spawn().position;
    let open = world
        .zone_at(spawn.x, spawn.y)
        .context("the spawn point lies in no zone")?;
    let mut rooms: Vec<_> = world.zones().iter().filter(|z| z.id != open.id).collect();
    rooms.sort_by_key(|z| std::cmp::Reverse(z.zone_type.priority()));
    let mut plan = Vec::with_capacity(users);
    for room in rooms {
        let roles = match room.zone_type {
            ZoneType::PrivateRoom => vec![Role::Admin],
            _ => vec![Role::Member],
        };
        let take = (room.capacity as usize).min(users - plan.len());
        plan.extend((0..take).map(|_| UserPlan {
            home: room.id.clone(),
            roles: roles.clone(),
        }));
    }
    let rest = users - plan.len();
    if rest > open.capacity as usize {
        bail!(
            "the open area holds {} users but {rest} are left for it: raise its capacity",
            open.capacity
        );
    }
    plan.extend((0..rest).map(|_| UserPlan {
        home: open.id.clone(),
        roles: vec![Role::Member],
    }));
    Ok(plan)
}

fn zone_loads(plan: &[UserPlan]) -> Vec<ZoneLoad> {
    let mut loads: Vec<ZoneLoad> = Vec::new();
    for user in plan {
        match loads.iter_mut().find(|z| z.zone == user.home.as_str()) {
            Some(load) => load.users += 1,
            None => loads.push(ZoneLoad {
                zone: user.home.as_str().to_owned(),
                users: 1,
            }),
        }
    }
    loads
}

/// `hearth_world_users` from the host's `/metrics`.
async fn world_users(http_addr: &str) -> Option<f64> {
    let text = crate::metrics::fetch(http_addr)
        .await
        .inspect_err(|e| tracing::warn!(error = %e, "cannot read /metrics"))
        .ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("hearth_world_users "))
        .and_then(|v| v.trim().parse().ok())
}

/// Signs in once to read the world file the host serves.
async fn scout(target: &Target) -> anyhow::Result<World> {
    let before = world_users(&target.http_addr).await.unwrap_or(0.0);
    let id = random_uuid(&mut rand::rng());
    let token = mint(
        &target.secret,
        &target.issuer,
        &target.workspace,
        &id,
        "scout",
        &[Role::Member],
    )?;
    let (client, mut events) =
        WorldClient::connect(&target.world_url, token, target.world_id.clone()).await?;
    let world = tokio::time::timeout(SCOUT_TIMEOUT, async {
        while let Some(event) = events.recv().await {
            match event {
                hearth_engine::world_client::WorldEvent::WorldState { world, .. } => {
                    return Ok(world);
                }
                hearth_engine::world_client::WorldEvent::Closed { reason, .. } => {
                    bail!("the scout was refused: {reason}")
                }
                _ => {}
            }
        }
        bail!("the scout's session ended")
    })
    .await
    .context("the scout got no WORLD_STATE")??;
    client.leave().await;
    // The scout's seat must be free before the last user joins a full world.
    let deadline = Instant::now() + Duration::from_secs(2);
    while world_users(&target.http_addr).await.unwrap_or(0.0) > before && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    match world {
        Some(map) => map
            .world()
            .cloned()
            .context("the host's world file does not validate"),
        None => {
            tracing::warn!("the host sent no world file; assuming the demo world");
            Ok(World::demo())
        }
    }
}

async fn measure(args: &WorldLoadArgs, target: &Target) -> anyhow::Result<WorldLoadReport> {
    let world = Arc::new(scout(target).await?);
    let plan = plan(&world, args.users)?;
    let zones = zone_loads(&plan);
    let zone_size_of_user: Vec<usize> = plan
        .iter()
        .map(|u| {
            zones
                .iter()
                .find(|z| z.zone == u.home.as_str())
                .map_or(0, |z| z.users)
        })
        .collect();
    let mut rng = StdRng::from_os_rng();
    let ids: Vec<String> = (0..args.users).map(|_| random_uuid(&mut rng)).collect();
    let shared = Arc::new(Shared {
        index: ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.clone(), i))
            .collect::<HashMap<_, _>>(),
        log: SendLog::new(args.users),
        window: Window::default(),
        arrived: AtomicUsize::new(0),
        world: world.clone(),
        rate_hz: args.rate,
    });
    let (stop_tx, stop_rx) = watch::channel(false);
    eprintln!(
        "joining {} users at {} ({})",
        args.users,
        target.world_url,
        zones
            .iter()
            .map(|z| format!("{} {}", z.zone, z.users))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let tasks: Vec<_> = stream::iter(plan.iter().enumerate())
        .map(|(index, user)| {
            let (shared, stop, id) = (shared.clone(), stop_rx.clone(), ids[index].clone());
            async move {
                let name = format!("load-{index}");
                let token = mint(
                    &target.secret,
                    &target.issuer,
                    &target.workspace,
                    &id,
                    &name,
                    &user.roles,
                )?;
                let (client, events) =
                    WorldClient::connect(&target.world_url, token, target.world_id.clone())
                        .await
                        .with_context(|| format!("user {index} connecting"))?;
                let run = world_user::run(index, user.clone(), client, events, shared, stop);
                anyhow::Ok(tokio::spawn(run))
            }
        })
        .buffer_unordered(args.join_concurrency.max(1))
        .try_collect()
        .await?;

    let deadline = Instant::now() + ARRIVE_TIMEOUT;
    while shared.arrived.load(Ordering::Relaxed) < args.users && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let arrived = shared.arrived.load(Ordering::Relaxed);
    if arrived < args.users {
        tracing::warn!(arrived, "not every user reached its zone; measuring anyway");
    }
    eprintln!("{arrived} users in place; warming up for {:?}", args.warmup);
    tokio::time::sleep(args.warmup).await;

    let clock_ticks = target::clock_ticks_per_second();
    let cpu = |pid| {
        target::cpu_ticks(pid)
            .inspect_err(|e| tracing::warn!(error = %e, "cannot read CPU time"))
            .ok()
    };
    let (server0, own0) = (target.pid.and_then(|p| cpu(Some(p))), cpu(None));
    let started = Instant::now();
    shared.window.open(now_ns());
    let flood = (args.flood > 0)
        .then(|| {
            let id = random_uuid(&mut rng);
            let roles = [Role::Member];
            let token = mint(
                &target.secret,
                &target.issuer,
                &target.workspace,
                &id,
                "flood",
                &roles,
            )?;
            let run = crate::flood::world(
                target.world_url.clone(),
                token,
                target.world_id.clone(),
                args.flood,
            );
            anyhow::Ok(tokio::spawn(run))
        })
        .transpose()?;
    eprintln!("measuring for {:?}", args.duration);
    tokio::time::sleep(args.duration).await;
    shared.window.close(now_ns());
    let flood = match flood {
        Some(task) => Some(task.await.context("the flooder panicked")??),
        None => None,
    };
    let window_s = started.elapsed().as_secs_f64();
    let (server1, own1) = (target.pid.and_then(|p| cpu(Some(p))), cpu(None));
    let users_now = world_users(&target.http_addr).await;
    tokio::time::sleep(DRAIN).await;
    let _ = stop_tx.send(true);
    let mut stats: Vec<UserStats> = Vec::with_capacity(tasks.len());
    for task in tasks {
        stats.push(task.await.context("a load user panicked")?);
    }
    let cpu_s = |a: Option<u64>, b: Option<u64>| Some(b?.saturating_sub(a?) as f64 / clock_ticks);
    let (from, to) = shared.window.bounds();
    Ok(world_report::report(Measured {
        users: args.users,
        zones,
        zone_size_of_user,
        rate_hz: args.rate,
        window_s,
        stats,
        sent: shared.log.sent_between(from, to),
        server_cpu_s: cpu_s(server0, server1),
        own_cpu_s: cpu_s(own0, own1),
        world_users: users_now,
        flood,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_load_world_holds_150_and_the_plan_fills_rooms_first() {
        let file = LoadWorldFile::write(150).expect("writes");
        let text = std::fs::read_to_string(&file.path).expect("readable");
        let world = load_world(&text).expect("loads");
        let plan = plan(&world, 150).expect("fits");
        let loads = zone_loads(&plan);
        let count = |zone: &str| loads.iter().find(|z| z.zone == zone).map_or(0, |z| z.users);
        assert_eq!(count("private-room"), 8);
        assert_eq!(count("meeting-room"), 16);
        assert_eq!(count("team-area"), 25);
        assert_eq!(count("open-area"), 101);
        assert!(
            plan.iter()
                .filter(|u| u.home.as_str() == "private-room")
                .all(|u| u.roles == [Role::Admin])
        );
        let path = file.path.clone();
        drop(file);
        assert!(!path.exists(), "the temporary world is removed");
        assert!(
            plan_err(&World::demo(), 150).contains("raise its capacity"),
            "the demo world alone cannot hold 150"
        );
    }

    fn plan_err(world: &World, users: usize) -> String {
        plan(world, users).map_or_else(|e| e.to_string(), |_| String::new())
    }
}
