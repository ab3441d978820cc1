//! "Host a LAN room": the embedded `sfu-core` host (world server, SFU and the interop link
//! between them on one port), with a fresh secret and invite code per run.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;

use std::time::{SystemTime, UNIX_EPOCH};

use sfu_core::auth::{WorldTokenRequest, mint_world_token};
use sfu_core::host::lan::{detect_lan_ip, load_world_or_demo, random_hex};
use sfu_core::host::session_api::SessionResponse;
use sfu_core::host::{self, HostConfig, RunningHost};
use sfu_core::roles::Role;
use uuid::Uuid;

use super::contract::HostInfo;
use hearth_engine::world_client::invite::invite_link;

/// A running LAN host.
pub struct LanHost {
    running: RunningHost,
    info: HostInfo,
    secret: Vec<u8>,
    workspace: Uuid,
}

/// Issuer of the host's tokens.
const ISSUER: &str = "hearth";
/// Lifetime of the host user's own token.
const HOST_TOKEN_TTL_SECS: u64 = 12 * 3600;

impl LanHost {
    /// Starts a host on `port` (both HTTP and UDP; 0 picks free ones) with the world at
    /// `world_file`, or the demo world. A busy port falls back to free ones.
    ///
    /// # Errors
    /// When the world file does not load or no socket can be bound.
    pub async fn start(port: u16, world_file: Option<&Path>) -> anyhow::Result<Self> {
        let world = load_world_or_demo(world_file)?;
        let world_name = world.name().to_owned();
        let lan_ip = detect_lan_ip();
        let secret = random_hex(24).into_bytes();
        let workspace = Uuid::from_bytes(world.workspace_id().0);
        let config = |port: u16| HostConfig {
            listen: SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port),
            udp: SocketAddr::new(Ipv4Addr::UNSPECIFIED.into(), port),
            public_ip: lan_ip,
            secret: secret.clone(),
            issuer: ISSUER.into(),
            world: world.clone(),
            invite: random_hex(4),
            turn_urls: Vec::new(),
            turn_secret: None,
            interop_url: None,
            dspeak_open: false,
            // The embedded host shares the laptop with the app's own audio: one worker.
            workers: 1,
            max_channel_peers: sfu_core::sfu::DEFAULT_MAX_CHANNEL_PEERS,
        };
        let first = config(port);
        let invite = first.invite.clone();
        let (running, invite) = match host::start(first).await {
            Ok(running) => (running, invite),
            Err(e) if port != 0 => {
                tracing::warn!(port, error = %format!("{e:#}"), "port busy; hosting on free ports");
                let fallback = config(0);
                let invite = fallback.invite.clone();
                (host::start(fallback).await?, invite)
            }
            Err(e) => return Err(e),
        };
        let port = running.http_addr.port();
        let shown_ip = lan_ip.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let lan_address = SocketAddr::new(shown_ip, port).to_string();
        let info = HostInfo {
            invite_link: invite_link(&lan_address, &invite),
            lan_address,
            world_name,
        };
        tracing::info!(
            lan = %info.lan_address,
            invite = %info.invite_link,
            udp = %running.udp_addr,
            "hosting a LAN room"
        );
        Ok(Self {
            running,
            info,
            secret,
            workspace,
        })
    }

    pub fn info(&self) -> &HostInfo {
        &self.info
    }

    /// A session for the host's own user, over loopback, as the room's Admin (the invite flow
    /// hands out Member tokens).
    pub fn admin_session(&self, display_name: &str) -> SessionResponse {
        let user = Uuid::new_v4();
        let request = WorldTokenRequest {
            user_id: user,
            workspace_id: self.workspace,
            roles: vec![Role::Admin],
            display_name: display_name.to_owned(),
            avatar_id: String::new(),
            ttl_secs: HOST_TOKEN_TTL_SECS,
        };
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
        SessionResponse {
            world_url: format!("ws://127.0.0.1:{}/world", self.running.http_addr.port()),
            token: mint_world_token(&self.secret, ISSUER, &request, now),
            world_id: self.running.world_id.clone(),
            user_id: user.to_string(),
        }
    }

    /// Closes every connection and stops the host.
    pub async fn stop(self) {
        self.running.shutdown().await;
        tracing::info!("stopped hosting");
    }
}
