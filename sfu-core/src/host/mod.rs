//! `hearth-host`: one HTTP listener (WebSockets, health, metrics) plus one UDP socket for media.
//! [`start`] binds both and runs the actors; tests and the desktop app call it in-process.

mod histogram;
mod metrics;
pub mod sfu_actor;
pub mod signal_ws;

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::Context;
use axum::Router;
use axum::extract::{State, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::auth::SfuTokenVerifier;
use crate::sfu::{ConnId, Sfu, SfuConfig, SfuEvent};
use sfu_actor::{SfuActor, SfuHandle};

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
}

/// A running host. Dropping it does not stop it; call [`RunningHost::shutdown`].
pub struct RunningHost {
    pub http_addr: SocketAddr,
    pub udp_addr: SocketAddr,
    pub sfu: SfuHandle,
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
    next_conn: Arc<AtomicU64>,
    started: Instant,
}

/// Binds the listeners and starts the host's actors.
pub async fn start(config: HostConfig) -> anyhow::Result<RunningHost> {
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding the HTTP listener on {}", config.listen))?;
    let udp = UdpSocket::bind(config.udp)
        .await
        .with_context(|| format!("binding the media UDP socket on {}", config.udp))?;
    let http_addr = listener.local_addr().context("reading the HTTP address")?;
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

    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let (actor, sfu) = SfuActor::new(
        Sfu::new(sfu_config),
        udp,
        announced,
        Some(events_tx),
        shutdown_rx.clone(),
    )
    .context("starting the SFU")?;

    let state = AppState {
        sfu: sfu.clone(),
        next_conn: Arc::new(AtomicU64::new(1)),
        started: Instant::now(),
    };
    let app = Router::new()
        .route("/signal", get(signal_upgrade))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::serve))
        .with_state(state);

    let mut shutdown_http = shutdown_rx.clone();
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        let _ = shutdown_http.changed().await;
    });
    let tasks = vec![
        tokio::spawn(actor.run()),
        tokio::spawn(async move {
            if let Err(e) = server.await {
                tracing::error!(error = %e, "HTTP server failed");
            }
        }),
        tokio::spawn(log_events(events_rx)),
    ];
    Ok(RunningHost {
        http_addr,
        udp_addr,
        sfu,
        shutdown: shutdown_tx,
        tasks,
    })
}

/// The address to put in ICE candidates: `--public-ip` if given, else the socket's address, with
/// an unspecified IP replaced by loopback (pass `--public-ip` to be reachable from the LAN).
fn announced_addr(udp: SocketAddr, public_ip: Option<IpAddr>) -> SocketAddr {
    match public_ip {
        Some(ip) => SocketAddr::new(ip, udp.port()),
        None if udp.ip().is_unspecified() => {
            tracing::warn!(
                "UDP bound to an unspecified address without --public-ip: announcing 127.0.0.1 only"
            );
            SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), udp.port())
        }
        None => udp,
    }
}

async fn signal_upgrade(ws: WebSocketUpgrade, State(state): State<AppState>) -> Response {
    let conn = ConnId(state.next_conn.fetch_add(1, Ordering::Relaxed));
    let sfu = state.sfu.clone();
    ws.on_upgrade(move |socket| async move {
        tracing::debug!(%conn, "signal connection");
        signal_ws::serve(socket, conn, sfu).await;
    })
}

async fn healthz(State(state): State<AppState>) -> Response {
    let peers = state.sfu.stats().await.map(|s| s.sfu.peers).unwrap_or(0);
    let body = serde_json::json!({
        "status": "ok",
        "version": env!("CARGO_PKG_VERSION"),
        "uptime_s": state.started.elapsed().as_secs(),
        "peers": peers,
    });
    axum::Json(body).into_response()
}

async fn log_events(mut events: mpsc::UnboundedReceiver<SfuEvent>) {
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
        }
    }
}
