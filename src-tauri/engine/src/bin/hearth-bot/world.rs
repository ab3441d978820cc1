//! `hearth-bot world`: a whole client in a world through the engine's [`HearthClient`] (world
//! session, P2P links, SFU after a promotion, the voice engine), printing one JSON line per event
//! (with `t_ms`), optionally walking at random, talking (`--tone`, `--wav`) and recording what it
//! hears (`--record DIR`).
//!
//! Credentials, one of: `--token` (with `--world-id`), `--secret` to mint a token locally (with
//! `--world-id`; `hearth-host` prints the id in its `listening` line), or `--invite` to ask the
//! host's `POST /api/session` for a token and the world id.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use hearth_engine::client::{ClientConfig, ClientEvent, HearthClient, WalkEvent};
use hearth_engine::p2p::plan::AudioRange;
use hearth_engine::voice::VoiceEngine;
use hearth_engine::world_client::WorldEvent;
use hearth_engine::world_client::invite::parse_server;
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use sfu_core::auth::{WorldTokenRequest, mint_world_token};
use sfu_core::roles::Role;
use sfu_core::world::map::World;
use sfu_core::world::wire::WorldId;

use crate::walk::random_target;

/// How often a random walker looks whether its walk ended (and picks the next target).
const WALK_CHECK: Duration = Duration::from_millis(250);
/// A walk counts as ended once no step came for this long (arrived, or stopped by a wall).
const WALK_ENDED: Duration = Duration::from_millis(300);
/// Lifetime of a minted token.
const TOKEN_TTL_SECS: u64 = 12 * 3600;

/// How the bot moves.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Walk {
    /// Stays at the spawn point.
    None,
    /// Walks to random reachable points at about 5 tiles/s.
    Random,
}

/// Options of `hearth-bot world`.
#[derive(Args)]
pub struct WorldArgs {
    /// `ws://HOST:PORT/world` (or `wss://`).
    #[arg(long)]
    url: String,
    /// Every P2P link through the host's TURN server (ICE transport policy "relay"): peers never
    /// learn this machine's addresses.
    #[arg(long)]
    relay_only: bool,
    /// World token (`hearth-host token world ...`).
    #[arg(long, env = "HEARTH_TOKEN", hide_env_values = true, conflicts_with_all = ["secret", "invite"])]
    token: Option<String>,
    /// The host's token secret: mint a world token here instead of `--token`.
    #[arg(
        long,
        env = "HEARTH_SECRET",
        hide_env_values = true,
        conflicts_with = "invite"
    )]
    secret: Option<String>,
    /// Token issuer, for `--secret`.
    #[arg(long, env = "HEARTH_ISSUER", default_value = "hearth")]
    issuer: String,
    /// LAN invite code: get a token and the world id from the host's `POST /api/session`.
    #[arg(long, env = "HEARTH_INVITE", hide_env_values = true)]
    invite: Option<String>,
    /// Display name, for `--secret` and `--invite`.
    #[arg(long, default_value = "hearth-bot")]
    name: String,
    /// Roles of a minted token, comma-separated (Admin, Editor, Member, Guest).
    #[arg(long, value_delimiter = ',', default_value = "Member")]
    roles: Vec<Role>,
    /// The world to join; needed with `--token` and `--secret`.
    #[arg(long)]
    world_id: Option<String>,
    /// The world's workspace, for `--secret` (hearth-host prints it); the demo world's when
    /// absent.
    #[arg(long)]
    workspace_id: Option<String>,
    /// How to move.
    #[arg(long, value_enum, default_value_t = Walk::None)]
    walk: Walk,
    /// Leave after this long (e.g. 10s); stay until Ctrl-C when absent.
    #[arg(long, value_parser = crate::parse_duration)]
    duration: Option<Duration>,
    #[command(flatten)]
    voice: hearth_engine::voice::args::VoiceArgs,
    /// Local IP for media sockets.
    #[arg(long, default_value = "0.0.0.0")]
    bind: std::net::IpAddr,
}

/// A token and the world it is for.
struct Credentials {
    token: String,
    world_id: WorldId,
}

/// A random version 4 UUID, hyphenated.
pub fn random_uuid(rng: &mut impl RngCore) -> String {
    let mut b = [0u8; 16];
    rng.fill_bytes(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// The demo world's workspace: what a host without `--world` serves.
pub fn demo_workspace() -> String {
    uuid::Uuid::from_bytes(World::demo().workspace_id().0).to_string()
}

/// Mints a world token for the user `user_id` (a UUID string) with `name` and `roles`, for the
/// world of `workspace` (a UUID string: a world only takes tokens naming its workspace).
pub fn mint(
    secret: &[u8],
    issuer: &str,
    workspace: &str,
    user_id: &str,
    name: &str,
    roles: &[Role],
) -> anyhow::Result<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .context("reading the clock")?
        .as_secs();
    let request = WorldTokenRequest {
        user_id: user_id.parse().context("a user id must be a UUID")?,
        workspace_id: workspace.parse().context("a workspace id must be a UUID")?,
        roles: roles.to_vec(),
        display_name: name.to_owned(),
        avatar_id: "bot".to_owned(),
        ttl_secs: TOKEN_TTL_SECS,
    };
    let now = i64::try_from(now).context("the clock is past 2262")?;
    Ok(mint_world_token(secret, issuer, &request, now))
}

/// `HOST:PORT` of a `ws://HOST:PORT/...` URL.
pub fn http_addr(url: &str) -> anyhow::Result<String> {
    host_of_url(url).map(|(addr, _)| addr)
}

/// `HOST:PORT` of a `ws://` or `wss://` URL (read as the app reads a server address), and
/// whether it is `wss://` (TLS).
fn host_of_url(url: &str) -> anyhow::Result<(String, bool)> {
    let target = Some(url)
        .filter(|u| u.starts_with("ws://") || u.starts_with("wss://"))
        .and_then(|u| parse_server(u).ok())
        .with_context(|| format!("expected ws(s)://HOST:PORT/world, got {url:?}"))?;
    Ok((target.http_addr, target.secure))
}

async fn credentials(args: &WorldArgs) -> anyhow::Result<Credentials> {
    let given_world = args.world_id.clone().map(WorldId::new);
    let need_world = || {
        given_world.clone().context(
            "--world-id is needed with --token or --secret (hearth-host prints it in its \
             listening line); or use --invite",
        )
    };
    if let Some(invite) = &args.invite {
        let (addr, secure) = host_of_url(&args.url)?;
        let session =
            hearth_engine::world_client::invite::open_session(&addr, secure, invite, &args.name)
                .await?;
        return Ok(Credentials {
            token: session.token,
            world_id: given_world.unwrap_or(WorldId::new(session.world_id)),
        });
    }
    if let Some(token) = &args.token {
        return Ok(Credentials {
            token: token.clone(),
            world_id: need_world()?,
        });
    }
    if let Some(secret) = &args.secret {
        let user = random_uuid(&mut rand::rng());
        return Ok(Credentials {
            token: mint(
                secret.as_bytes(),
                &args.issuer,
                args.workspace_id.as_deref().unwrap_or(&demo_workspace()),
                &user,
                &args.name,
                &args.roles,
            )?,
            world_id: need_world()?,
        });
    }
    bail!("give --token, --secret or --invite")
}

/// Runs the session and prints its events until it ends, `--duration` passes or Ctrl-C.
pub async fn run(args: WorldArgs) -> anyhow::Result<()> {
    let creds = credentials(&args).await?;
    let started = Instant::now();
    let (engine, voice_events) = VoiceEngine::start(args.voice.voice_config()?)?;
    let config = ClientConfig {
        world_url: args.url.clone(),
        token: creds.token,
        world_id: creds.world_id,
        bind_ip: args.bind,
        range: AudioRange::default(),
        relay_only: args.relay_only,
        tap: None,
    };
    let (client, mut events) = HearthClient::connect(config, engine.clone(), voice_events).await?;
    let mut client = Some(client);
    // The map to pick targets on and where this user stands; the client walks there.
    let mut walk: Option<(World, (f64, f64))> = None;
    let mut last_step = tokio::time::Instant::now();
    let mut roles = args.roles.clone();
    let mut rng = StdRng::from_os_rng();
    let mut ticker = tokio::time::interval(WALK_CHECK);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let deadline = args.duration.map(|d| tokio::time::Instant::now() + d);
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
                crate::print_event(started, &event);
                if let ClientEvent::Walk(WalkEvent::Moved { x, y }) = event {
                    last_step = tokio::time::Instant::now();
                    if let Some((_, at)) = &mut walk { *at = (x, y); }
                    continue;
                }
                let ClientEvent::World(event) = event else { continue };
                match event {
                    WorldEvent::Connected { roles: granted, .. } if !granted.is_empty() => roles = granted,
                    WorldEvent::WorldState { position, world, .. } if args.walk == Walk::Random => {
                        let world = world
                            .and_then(|map| map.world().cloned())
                            .unwrap_or_else(|| {
                                tracing::info!("no world map to walk on: walking the demo world");
                                World::demo()
                            });
                        let spawn = world.open_area_spawn().position;
                        let start = position.map_or((spawn.x, spawn.y), |p| (p.x, p.y));
                        walk = Some((world, start));
                    }
                    WorldEvent::Corrected { x, y, .. } => {
                        if let Some((_, at)) = &mut walk { *at = (x, y); }
                    }
                    WorldEvent::Closed { .. } => break,
                    _ => {}
                }
            }
            _ = ticker.tick(), if walk.is_some() && client.is_some() => {
                if let (Some((world, at)), Some(client)) = (&walk, &client)
                    && last_step.elapsed() >= WALK_ENDED
                    && let Some((x, y)) = random_target(world, &roles, *at, &mut rng)
                {
                    client.walk_to(x, y).await;
                    // Give the walk its first step before looking again.
                    last_step = tokio::time::Instant::now();
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
    engine.shutdown().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_uuids_are_version_4_and_mint_valid_tokens() {
        let mut rng = StdRng::seed_from_u64(1);
        let id = random_uuid(&mut rng);
        assert_eq!(id.len(), 36);
        assert_eq!(&id[14..15], "4", "version nibble: {id}");
        let workspace = demo_workspace();
        let token =
            mint(b"s3cret", "hearth", &workspace, &id, "bot", &[Role::Admin]).expect("mints");
        let verifier = sfu_core::auth::WorldTokenVerifier::new(b"s3cret", "hearth");
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let grant = verifier
            .verify(&token, now)
            .expect("the minted token verifies");
        assert_eq!(grant.user_id.to_string(), id);
        assert_eq!(grant.roles, vec![Role::Admin]);
    }

    #[test]
    fn the_http_address_comes_from_the_world_url() {
        assert_eq!(
            http_addr("ws://127.0.0.1:7800/world").expect("valid"),
            "127.0.0.1:7800"
        );
        assert_eq!(
            host_of_url("wss://x:8443/world").expect("valid"),
            ("x:8443".to_owned(), true)
        );
        assert!(http_addr("http://x/world").is_err());
    }
}
