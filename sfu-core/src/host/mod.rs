//! `hearth-host`: one HTTP listener (WebSockets, health, metrics) plus one UDP socket for media.
//! [`start`] binds both and runs the actors; tests and the desktop app call it in-process.

mod attempts;
pub mod dspeak_ws;
mod histogram;
pub mod interop_main;
pub mod interop_sfu;
pub mod lan;
pub mod limits;
mod listener;
mod metrics;
mod outbox;
mod placement;
pub mod session_api;
pub mod sfu_actor;
pub mod signal_ws;
pub mod world_actor;
pub mod world_ws;
mod ws;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::Context;
use axum::Router;
use axum::extract::{ConnectInfo, State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::auth::{SfuTokenVerifier, WorldTokenVerifier};
use crate::ids::ConnId;
use crate::sfu::{Sfu, SfuConfig, SfuEvent};
use crate::world::map::World;
use crate::world::server::{TurnConfig, WorldConfig, WorldServer};
use sfu_actor::{SfuActor, SfuHandle};
use world_actor::{WorldActor, WorldHandle};

/// How a host is set up (the `hearth-host` flags).
#[derive(Debug, Clone)]
pub struct HostConfig {
    /// HTTP listener for the WebSocket endpoints, `/healthz` and `/metrics`.
    pub listen: SocketAddr,
    /// UDP socket for all media.
    pub udp: SocketAddr,
    /// Address announced in ICE candidates instead of the UDP socket's own.
    pub public_ip: Option<IpAddr>,
    /// HS256 key for every token.
    pub secret: Vec<u8>,
    /// Expected `iss` of tokens, and the issuer of the ones the host mints.
    pub issuer: String,
    /// The world served at `/world`.
    pub world: World,
    /// The invite code of `POST /api/session`.
    pub invite: String,
    /// TURN servers for `ICE_FAILED` (`turn:host:port` URLs) and their REST secret.
    pub turn_urls: Vec<String>,
    pub turn_secret: Option<Vec<u8>>,
    /// The main server's `/dspeak/interop` the SFU dials; None: this host's own world server.
    pub interop_url: Option<String>,
    /// `/socket` also takes a bare user id as `auth` (dspeak's own scheme, no authentication).
    pub dspeak_open: bool,
    /// SFU worker threads; channels are spread over them, each with its own UDP socket (the
    /// first on `udp`, the others on the following ports, or any free port when `udp`'s is 0).
    pub workers: usize,
    /// Most peers in one SFU channel; a join beyond gets `full` (4010-style refusal).
    pub max_channel_peers: usize,
}

/// A running host. Dropping it does not stop it; call [`RunningHost::shutdown`].
pub struct RunningHost {
    pub http_addr: SocketAddr,
    /// The first SFU worker's media socket.
    pub udp_addr: SocketAddr,
    /// Every SFU worker's media socket, in worker order.
    pub udp_addrs: Vec<SocketAddr>,
    pub world_id: String,
    /// The world's workspace (UUID): world tokens must name it.
    pub workspace_id: String,
    pub sfu: SfuHandle,
    pub world: WorldHandle,
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl RunningHost {
    /// Asks every actor to stop, closes connections with 1001, and waits for the tasks.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

#[derive(Clone)]
struct AppState {
    sfu: SfuHandle,
    refusals: Arc<limits::Refusals>,
    world: WorldHandle,
    next_conn: Arc<AtomicU64>,
    started: Instant,
    invite: Arc<session_api::InviteConfig>,
    invite_attempts: Arc<attempts::Attempts>,
    hub: interop_main::HubHandle,
    link_stats: watch::Receiver<crate::interop::link::LinkStats>,
    secret: Arc<[u8]>,
    issuer: Arc<str>,
}

/// Binds the listeners and starts the host's actors.
pub async fn start(config: HostConfig) -> anyhow::Result<RunningHost> {
    crate::auth::check_secret(&config.secret)?;
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding the HTTP listener on {}", config.listen))?;
    let http_addr = listener.local_addr().context("reading the HTTP address")?;
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let mut udp_addrs = Vec::new();
    let mut workers = Vec::new();
    let mut worker_actors = Vec::new();
    for worker in 0..config.workers.max(1) {
        let addr = worker_udp_addr(config.udp, worker);
        let udp = bind_media_socket(addr)
            .with_context(|| format!("binding the media UDP socket on {addr}"))?;
        let udp_addr = udp.local_addr().context("reading the UDP address")?;
        let announced = announced_addr(udp_addr, config.public_ip);
        let mut candidates = vec![announced];
        if udp_addr.ip().is_unspecified() && !announced.ip().is_loopback() {
            // Same-machine clients (the host's own app, tests) reach it over loopback.
            candidates.push(SocketAddr::new(
                std::net::Ipv4Addr::LOCALHOST.into(),
                udp_addr.port(),
            ));
        }
        let mut sfu_config = SfuConfig::new(
            candidates,
            SfuTokenVerifier::new(&config.secret, config.issuer.clone()),
        );
        sfu_config.minting = Some((config.secret.clone(), config.issuer.clone()));
        sfu_config.dspeak_open = config.dspeak_open;
        sfu_config.max_channel_peers = config.max_channel_peers;
        let (actor, commands) = SfuActor::new(
            Sfu::new(sfu_config),
            udp,
            announced,
            Some(events_tx.clone()),
            shutdown_rx.clone(),
        )
        .context("starting the SFU")?;
        udp_addrs.push(udp_addr);
        workers.push(commands);
        worker_actors.push(actor);
    }
    drop(events_tx);
    let udp_addr = udp_addrs[0];
    let sfu = SfuHandle::new(workers);

    let world_id = config.world.id().to_string();
    let workspace_id = uuid::Uuid::from_bytes(config.world.workspace_id().0);
    let mut world_config = WorldConfig::new(
        WorldTokenVerifier::new(&config.secret, config.issuer.clone()),
        config.secret.clone(),
        config.issuer.clone(),
        format!("ws://{}/signal", reachable(http_addr, config.public_ip)),
    );
    if let Some(secret) = &config.turn_secret {
        world_config.turn = Some(TurnConfig {
            urls: config.turn_urls.clone(),
            secret: secret.clone(),
            ttl_secs: 3600,
        });
    }
    let (hub, hub_handle) = interop_main::Hub::new(shutdown_rx.clone());
    let (world_actor, world) = WorldActor::new(
        WorldServer::new(config.world.clone(), world_config),
        hub_handle.clone(),
        shutdown_rx.clone(),
    );
    let hub = hub.with_world(world.clone());
    let interop_url = config
        .interop_url
        .clone()
        .unwrap_or_else(|| format!("ws://{}/dspeak/interop", reachable(http_addr, None)));
    let (link_events_tx, link_events_rx) = mpsc::unbounded_channel();
    let (link_actor, link_stats) = interop_sfu::LinkActor::new(
        interop_url,
        config.secret.clone(),
        config.issuer.clone(),
        sfu.clone(),
        link_events_rx,
        shutdown_rx.clone(),
    );
    let invite = session_api::InviteConfig {
        code: config.invite.clone(),
        secret: config.secret.clone(),
        issuer: config.issuer.clone(),
        world_id: world_id.clone(),
        workspace_id,
        ttl_secs: 12 * 3600,
    };

    let refusals: Arc<limits::Refusals> = Arc::default();
    let state = AppState {
        sfu: sfu.clone(),
        refusals: refusals.clone(),
        world: world.clone(),
        next_conn: Arc::new(AtomicU64::new(1)),
        started: Instant::now(),
        invite: Arc::new(invite),
        invite_attempts: Arc::new(attempts::Attempts::new(
            5,
            std::time::Duration::from_secs(60),
        )),
        hub: hub_handle,
        link_stats,
        secret: config.secret.clone().into(),
        issuer: config.issuer.clone().into(),
    };
    let app = Router::new()
        .route("/signal", get(signal_upgrade))
        .route("/socket", get(dspeak_upgrade))
        .route("/world", get(world_upgrade))
        .route("/api/session", axum::routing::post(session_api::create))
        .route("/dspeak/interop", get(interop_main::upgrade))
        .route("/api/interop/presence", get(interop_presence))
        .route("/api/sfu/channels", get(sfu_channels))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::serve))
        .with_state(state)
        .into_make_service_with_connect_info::<SocketAddr>();

    let mut shutdown_http = shutdown_rx.clone();
    // Signaling is many small messages that must not wait for Nagle's 40 ms; the connection
    // tasks batch their writes instead.
    let listener = listener::GuardedListener::new(listener, refusals);
    let listener = axum::serve::ListenerExt::tap_io(listener, |stream| {
        if let Err(e) = stream.tcp().set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = shutdown_http.changed().await;
    });
    let mut tasks: Vec<JoinHandle<()>> = worker_actors
        .into_iter()
        .map(|actor| tokio::spawn(actor.run()))
        .collect();
    tasks.extend([
        tokio::spawn(world_actor.run()),
        tokio::spawn(hub.run()),
        tokio::spawn(link_actor.run()),
        tokio::spawn(async move {
            if let Err(e) = server.await {
                tracing::error!(error = %e, "HTTP server failed");
            }
        }),
        tokio::spawn(log_events(events_rx, link_events_tx)),
    ]);
    Ok(RunningHost {
        http_addr,
        udp_addr,
        udp_addrs,
        world_id,
        workspace_id: workspace_id.to_string(),
        sfu,
        world,
        shutdown: shutdown_tx,
        tasks,
    })
}

/// Socket buffers for the one media socket: every peer's packets pass through it, and a burst
/// (a keyframe, 100 receivers of one packet) must not overflow the kernel's default 208 KiB.
const MEDIA_SOCKET_BUFFER: usize = 4 << 20;

/// Binds the media socket with large buffers (the kernel caps them at `net.core.rmem_max`).
/// Worker `n`'s media socket: `--udp`'s port plus `n`, or any free port when that is 0.
fn worker_udp_addr(first: SocketAddr, worker: usize) -> SocketAddr {
    if first.port() == 0 {
        return first;
    }
    let port = u16::try_from(usize::from(first.port()) + worker).unwrap_or(0);
    SocketAddr::new(first.ip(), port)
}

fn bind_media_socket(addr: SocketAddr) -> std::io::Result<UdpSocket> {
    use socket2::{Domain, Protocol, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))?;
    if let Err(e) = socket.set_recv_buffer_size(MEDIA_SOCKET_BUFFER) {
        tracing::warn!(error = %e, "cannot enlarge the media receive buffer");
    }
    if let Err(e) = socket.set_send_buffer_size(MEDIA_SOCKET_BUFFER) {
        tracing::warn!(error = %e, "cannot enlarge the media send buffer");
    }
    socket.bind(&addr.into())?;
    socket.set_nonblocking(true)?;
    UdpSocket::from_std(socket.into())
}

/// Read buffer of `/signal` and `/world` sockets (SDP offers fit; larger frames still work).
const WS_READ_BUFFER: usize = 8 * 1024;

/// The address to put in ICE candidates: `--public-ip` if given, else the socket's address, with
/// an unspecified IP replaced by loopback (pass `--public-ip` to be reachable from the LAN).
fn announced_addr(udp: SocketAddr, public_ip: Option<IpAddr>) -> SocketAddr {
    match public_ip {
        Some(ip) => SocketAddr::new(ip, udp.port()),
        None if udp.ip().is_unspecified() => match lan::detect_lan_ip() {
            Some(ip) => {
                tracing::info!(%ip, "UDP bound to an unspecified address: announcing the LAN address");
                SocketAddr::new(ip, udp.port())
            }
            None => {
                tracing::warn!(
                    "UDP bound to an unspecified address, no --public-ip and no LAN address: \
                     announcing 127.0.0.1 only"
                );
                SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), udp.port())
            }
        },
        None => udp,
    }
}

async fn signal_upgrade(ws: WebSocketUpgrade, State(state): State<AppState>) -> Response {
    let conn = ConnId(state.next_conn.fetch_add(1, Ordering::Relaxed));
    let sfu = state.sfu.clone();
    let guard = state.guard(limits::Endpoint::Signal);
    capped(ws, limits::SIGNAL_MESSAGE).on_upgrade(move |socket| async move {
        tracing::debug!(%conn, "signal connection");
        signal_ws::serve(socket, conn, sfu, guard).await;
    })
}

/// The socket's read buffer and its caps on a message and a frame.
fn capped(ws: WebSocketUpgrade, max_message: usize) -> WebSocketUpgrade {
    // Frames are small: tungstenite zero-fills its read buffer before every read, so its default
    // 128 KiB costs a third of the world server's CPU at 150 users.
    ws.read_buffer_size(WS_READ_BUFFER)
        .max_message_size(max_message)
        .max_frame_size(max_message)
}

impl AppState {
    fn guard(&self, endpoint: limits::Endpoint) -> limits::Guard {
        limits::Guard {
            endpoint,
            refusals: self.refusals.clone(),
        }
    }
}

async fn dspeak_upgrade(
    ws: WebSocketUpgrade,
    axum::extract::Query(query): axum::extract::Query<std::collections::HashMap<String, String>>,
    State(state): State<AppState>,
) -> Response {
    let conn = ConnId(state.next_conn.fetch_add(1, Ordering::Relaxed));
    let sfu = state.sfu.clone();
    let join = dspeak_ws::join_from_query(
        query.get("auth").map(String::as_str),
        query.get("channelId").map(String::as_str),
    );
    let guard = state.guard(limits::Endpoint::Dspeak);
    capped(ws, limits::DSPEAK_MESSAGE).on_upgrade(move |socket| async move {
        tracing::debug!(%conn, "dspeak connection");
        dspeak_ws::serve(socket, conn, join, sfu, guard).await;
    })
}

/// The address clients reach the HTTP listener on: `--public-ip`, else the bound address,
/// with an unspecified IP replaced by loopback.
fn reachable(http: SocketAddr, public_ip: Option<IpAddr>) -> SocketAddr {
    match public_ip {
        Some(ip) => SocketAddr::new(ip, http.port()),
        None if http.ip().is_unspecified() => {
            SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), http.port())
        }
        None => http,
    }
}

async fn world_upgrade(
    ws: WebSocketUpgrade,
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let conn = ConnId(state.next_conn.fetch_add(1, Ordering::Relaxed));
    // Promotions point at /signal the way this client reached us (LAN IP, hostname, loopback).
    let sfu_url = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(|host| format!("{}://{host}/signal", ws_scheme(&headers)));
    let world = state.world.clone();
    let guard = state.guard(limits::Endpoint::World);
    capped(ws, limits::WORLD_MESSAGE).on_upgrade(move |socket| async move {
        tracing::debug!(%conn, %peer, "world connection");
        world_ws::serve(socket, conn, peer.ip(), sfu_url, world, guard).await;
    })
}

/// `wss` when the client reached us through a TLS terminator that says so
/// (`X-Forwarded-Proto: https`, docs/DEPLOY.md), else `ws`: the URLs a client is told to dial
/// keep the security of the way it came. Anyone may send the header; it only changes the URL
/// that client itself is told.
pub(crate) fn ws_scheme(headers: &HeaderMap) -> &'static str {
    let forwarded_tls = headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"));
    if forwarded_tls { "wss" } else { "ws" }
}

/// The 401 for a request without an operator token (`Authorization: Bearer`), or None when it
/// has one. These endpoints list every user and channel: strangers on the LAN get nothing.
fn operator_refusal(state: &AppState, headers: &HeaderMap) -> Option<Response> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .unwrap_or_default();
    let verifier = crate::auth::InteropTokenVerifier::for_operators(&state.secret, &*state.issuer);
    let error = verifier.verify(token, sfu_actor::now().unix_secs()).err()?;
    tracing::info!(%error, "operator endpoint refused");
    Some(
        (
            axum::http::StatusCode::UNAUTHORIZED,
            "an operator token is required (hearth-host token operator)",
        )
            .into_response(),
    )
}

/// The main server's view of media presence (interop hub), for operators and tests.
async fn interop_presence(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(refused) = operator_refusal(&state, &headers) {
        return refused;
    }
    axum::Json(state.hub.snapshot().await).into_response()
}

/// What the SFU really has: every active channel with its users, and the interop link's state.
async fn sfu_channels(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(refused) = operator_refusal(&state, &headers) {
        return refused;
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    let channels = if state
        .sfu
        .send(sfu_actor::SfuCommand::ActiveChannels(tx))
        .await
        .is_ok()
    {
        rx.await.unwrap_or_default()
    } else {
        Vec::new()
    };
    let link = *state.link_stats.borrow();
    let body = serde_json::json!({
        "channels": channels,
        "interop": {
            "connected": link.connected,
            "sent": link.sent,
            "queued": link.queued,
            "dropped": link.dropped,
            "reconnects": link.reconnects,
        },
    });
    axum::Json(body).into_response()
}

async fn healthz(State(state): State<AppState>) -> Response {
    let peers = state.sfu.stats().await.map(|s| s.sfu.peers).unwrap_or(0);
    let body = serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_s": state.started.elapsed().as_secs(),
        "peers": peers,
        "world_users": state.world.users().await,
    });
    axum::Json(body).into_response()
}

/// Logs SFU events and hands them to the interop link.
async fn log_events(
    mut events: mpsc::UnboundedReceiver<SfuEvent>,
    link: mpsc::UnboundedSender<SfuEvent>,
) {
    while let Some(event) = events.recv().await {
        match &event {
            SfuEvent::Joined { user, channel } => tracing::info!(%user, %channel, "user joined"),
            SfuEvent::Left {
                user,
                channel,
                reason,
            } => {
                tracing::info!(%user, %channel, reason = reason.as_str(), "user left")
            }
            SfuEvent::StartedProducing { user, channel } => {
                tracing::debug!(%user, %channel, "producing")
            }
            SfuEvent::StoppedProducing { user, channel } => {
                tracing::debug!(%user, %channel, "stopped producing")
            }
            SfuEvent::JoinRefused { code } => tracing::info!(code, "join refused"),
            SfuEvent::ChannelUsers { .. } => {}
        }
        let _ = link.send(event);
    }
}
