//! The world server as a sans-IO state machine (seed 004, SPEC section 6): connections, zones,
//! presence, movement, objects, the P2P relay, topology and promotion, moderation and rate
//! limits. Time comes in as an argument; messages, closes and SFU requests come out of
//! [`WorldServer::poll_output`]. The `/world` shell in `crate::host` does the I/O.

mod convert;
pub mod locks;
mod moderation;
mod movement;
mod objects;
pub mod presence;
mod relay;
mod session;
pub mod topology;
mod zones;

#[cfg(test)]
mod tests;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use uuid::Uuid;

use crate::auth::WorldTokenVerifier;
use crate::clock::Now;
use crate::ids::ConnId;
use crate::ids::{ChannelId, UserId};
use crate::rate::RateLimiter;
use crate::roles::Role;
use crate::world::map::{World, ZoneId};
use crate::world::wire::{
    self, AvatarState, ClientMessage, ErrorCode, ErrorPayload, Facing, Position, ServerMessage,
};
use locks::Locks;
use presence::PresenceFlush;

/// TURN relay settings: where clients relay through and the shared secret of its REST API.
#[derive(Debug, Clone)]
pub struct TurnConfig {
    pub urls: Vec<String>,
    pub secret: Vec<u8>,
    pub ttl_secs: u64,
}

/// Settings of a [`WorldServer`].
pub struct WorldConfig {
    /// Checks `CONNECT` tokens.
    pub verifier: WorldTokenVerifier,
    /// Key and issuer of the SFU tokens handed out with `PROMOTE_TO_SFU`.
    pub sfu_secret: Vec<u8>,
    pub sfu_issuer: String,
    /// The `/signal` URL clients join on promotion.
    pub sfu_url: String,
    /// None: `ICE_FAILED` gets an error saying no TURN server is configured.
    pub turn: Option<TurnConfig>,
    /// Users in the world at once.
    pub max_users: usize,
    /// Fastest legal walk, in tiles per second.
    pub max_speed: f64,
    /// How close (in tiles) a user must be to an object to use it and keep it.
    pub reach: f64,
    /// A lock whose holder sent no presence this long is released.
    pub lock_timeout: Duration,
    /// `CONNECT` must arrive within this time of the socket opening.
    pub connect_timeout: Duration,
    /// Failed `CONNECT`s per address per minute before further attempts are refused.
    pub max_auth_failures: usize,
    pub server_version: String,
}

impl WorldConfig {
    pub fn new(
        verifier: WorldTokenVerifier,
        sfu_secret: Vec<u8>,
        sfu_issuer: String,
        sfu_url: String,
    ) -> Self {
        Self {
            verifier,
            sfu_secret,
            sfu_issuer,
            sfu_url,
            turn: None,
            max_users: 150,
            max_speed: 8.0,
            reach: 1.5,
            lock_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(10),
            max_auth_failures: 5,
            server_version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

/// Something the world server wants done.
#[derive(Debug, Clone, PartialEq)]
pub enum WorldOutput {
    /// Send this message on a connection.
    Send {
        conn: ConnId,
        message: ServerMessage,
    },
    /// Close a connection (after its queued messages) with a WebSocket close code.
    Close {
        conn: ConnId,
        code: u16,
        reason: &'static str,
    },
    /// Server-mute (or unmute) a user on the SFU channel of a zone.
    SfuMute {
        user: UserId,
        channel: ChannelId,
        muted: bool,
    },
    /// Disconnect a user from an SFU channel (via interop `force_disconnect`).
    SfuDisconnect {
        user: UserId,
        channel: ChannelId,
        reason: String,
    },
    /// For logs and metrics.
    Event(WorldEvent),
}

/// What happened in the world, for logs and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorldEvent {
    Joined { user: Uuid, name: String },
    Left { user: Uuid, reason: &'static str },
    ZoneChanged { user: Uuid, zone: ZoneId },
    Promoted { zone: ZoneId, users: usize },
    Demoted { zone: ZoneId },
    AuthFailed { addr: IpAddr },
}

/// Where a connection is in the handshake.
#[derive(Debug)]
enum Stage {
    AwaitingConnect {
        deadline: Instant,
    },
    Connected {
        grant: crate::auth::WorldGrant,
    },
    InWorld {
        user: Uuid,
    },
    /// Left the world (kicked, replaced); only the close is still to come.
    Closing,
}

/// Per-connection rate limits (SPEC section 6).
#[derive(Debug)]
struct Limits {
    all: RateLimiter,
    presence: RateLimiter,
    movement: RateLimiter,
    interactions: RateLimiter,
}

impl Limits {
    fn new() -> Self {
        Self {
            all: RateLimiter::new(100.0, 200.0, 1000),
            presence: RateLimiter::new(15.0, 15.0, 600),
            movement: RateLimiter::new(30.0, 30.0, 1200),
            interactions: RateLimiter::new(10.0, 10.0, 400),
        }
    }
}

struct Connection {
    addr: IpAddr,
    /// The `/signal` URL as this client reaches the host (from its `Host` header), if known.
    sfu_url: Option<String>,
    stage: Stage,
    limits: Limits,
}

/// A user in the world.
struct Member {
    id: Uuid,
    conn: ConnId,
    user: wire::User,
    roles: Vec<Role>,
    position: Position,
    facing: Facing,
    state: AvatarState,
    zone: ZoneId,
    /// Server time of the last accepted position (speed checks use the server's clock).
    moved_at: Instant,
    /// Last presence or movement from the user (lock timeouts).
    heard_at: Instant,
    used_turn: bool,
    sfu_connected: bool,
    muted_until: Option<Instant>,
}

/// Live state of a zone.
#[derive(Debug, Default)]
struct ZoneState {
    users: BTreeSet<Uuid>,
    promoted: bool,
    turn_users: BTreeSet<Uuid>,
}

/// The world server. See the module docs.
pub struct WorldServer {
    world: World,
    world_json: Value,
    config: WorldConfig,
    connections: HashMap<ConnId, Connection>,
    members: HashMap<Uuid, Member>,
    zones: HashMap<ZoneId, ZoneState>,
    locks: Locks,
    presence: PresenceFlush,
    auth_failures: HashMap<IpAddr, VecDeque<Instant>>,
    outputs: VecDeque<WorldOutput>,
}

impl WorldServer {
    pub fn new(world: World, config: WorldConfig) -> Self {
        let world_json =
            serde_json::to_value(crate::world::map::WorldFile::from(&world)).unwrap_or(Value::Null);
        Self {
            world,
            world_json,
            config,
            connections: HashMap::new(),
            members: HashMap::new(),
            zones: HashMap::new(),
            locks: Locks::default(),
            presence: PresenceFlush::default(),
            auth_failures: HashMap::new(),
            outputs: VecDeque::new(),
        }
    }

    pub fn world(&self) -> &World {
        &self.world
    }

    /// Users in the world right now.
    pub fn user_count(&self) -> usize {
        self.members.len()
    }

    pub fn poll_output(&mut self) -> Option<WorldOutput> {
        self.outputs.pop_front()
    }

    /// When [`WorldServer::handle_timeout`] is due next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let connects = self.connections.values().filter_map(|c| match c.stage {
            Stage::AwaitingConnect { deadline } => Some(deadline),
            _ => None,
        });
        let mutes = self.members.values().filter_map(|m| m.muted_until);
        let locks = self
            .members
            .values()
            .filter(|m| !self.locks.held_by(m.id).is_empty())
            .map(|m| m.heard_at + self.config.lock_timeout);
        connects
            .chain(mutes)
            .chain(locks)
            .chain(self.presence.poll_timeout())
            .min()
    }

    /// A socket opened from `addr`. `sfu_url` is the `/signal` URL as this client reaches the
    /// host; None uses the configured one.
    pub fn handle_open(&mut self, now: Now, conn: ConnId, addr: IpAddr, sfu_url: Option<String>) {
        let deadline = now.instant + self.config.connect_timeout;
        self.connections.insert(
            conn,
            Connection {
                addr,
                sfu_url,
                stage: Stage::AwaitingConnect { deadline },
                limits: Limits::new(),
            },
        );
    }

    /// The SFU reported (over the interop link) that `user` connected to or left `channel`: the
    /// world's record of who is really on the SFU follows the SFU, not the client's word.
    pub fn handle_media_presence(&mut self, user: UserId, channel: ChannelId, connected: bool) {
        let world = self.world.id();
        if let Some(member) = self.members.values_mut().find(|m| {
            convert::sfu_user(m.id) == user && convert::zone_channel(world, &m.zone) == channel
        }) {
            member.sfu_connected = connected;
        }
    }

    /// Whether the SFU says `user` is connected to its zone's channel.
    pub fn media_connected(&self, user: Uuid) -> bool {
        self.members.get(&user).is_some_and(|m| m.sfu_connected)
    }

    /// A frame could not be decoded: the client gets the error the wire layer names.
    pub fn handle_bad_frame(&mut self, now: Now, conn: ConnId, error: &wire::WireError) {
        if !self.admit(now, conn, None) {
            return;
        }
        self.send(conn, error.to_error());
        if error.closes_connection() {
            self.close(now, conn, 4002, "unsupported protocol version");
        }
    }

    /// A decoded message arrived.
    pub fn handle_message(&mut self, now: Now, conn: ConnId, message: ClientMessage) {
        if !self.admit(now, conn, Some(&message)) {
            return;
        }
        match message {
            ClientMessage::Connect(connect) => self.on_connect(now, conn, connect),
            ClientMessage::Error(e) => {
                tracing::debug!(%conn, code = ?e.code, message = %e.message, "client reported an error");
            }
            other => match self.member_of(conn) {
                Some(user) => self.on_member_message(now, conn, user, other),
                None => self.reject_before_join(now, conn, &other),
            },
        }
    }

    fn on_member_message(&mut self, now: Now, conn: ConnId, user: Uuid, message: ClientMessage) {
        match message {
            ClientMessage::Connect(_) | ClientMessage::Error(_) => {}
            ClientMessage::JoinWorld(_) => {
                self.error(
                    conn,
                    ErrorCode::InvalidRequest,
                    "already in the world",
                    Map::new(),
                );
            }
            ClientMessage::PresenceUpdate(p) => self.on_presence(now, user, p),
            ClientMessage::MoveIntent(m) => self.on_move_intent(now, user, m),
            ClientMessage::ZoneTransition(z) => self.on_zone_transition(now, user, z),
            ClientMessage::InteractRequest(r) => self.on_interact(now, user, r),
            ClientMessage::InteractEnd(e) => self.on_interact_end(user, e),
            ClientMessage::SdpOffer(s) => self.relay_sdp(user, s, true),
            ClientMessage::SdpAnswer(s) => self.relay_sdp(user, s, false),
            ClientMessage::IceCandidate(c) => self.relay_candidate(user, c),
            ClientMessage::IceFailed(f) => self.on_ice_failed(now, user, f),
            ClientMessage::SfuConnected(s) => self.on_sfu_connected(user, s),
            ClientMessage::SfuDisconnected(s) => self.on_sfu_disconnected(now, user, s),
            ClientMessage::MuteUser(m) => self.on_mute(now, user, m),
            ClientMessage::RemoveFromZone(r) => self.on_remove_from_zone(now, user, r),
            ClientMessage::KickFromWorld(k) => self.on_kick(now, user, k),
        }
    }

    /// Applies the rate limits; false when the message is dropped (or the socket closed).
    fn admit(&mut self, now: Now, conn: ConnId, message: Option<&ClientMessage>) -> bool {
        use crate::rate::Verdict;
        let Some(connection) = self.connections.get_mut(&conn) else {
            return false;
        };
        let limits = &mut connection.limits;
        let mut verdict = limits.all.admit(now.instant);
        if verdict == Verdict::Allow {
            verdict = match message {
                Some(ClientMessage::PresenceUpdate(_)) => limits.presence.admit(now.instant),
                Some(ClientMessage::MoveIntent(_) | ClientMessage::ZoneTransition(_)) => {
                    limits.movement.admit(now.instant)
                }
                Some(ClientMessage::InteractRequest(_) | ClientMessage::InteractEnd(_)) => {
                    limits.interactions.admit(now.instant)
                }
                _ => Verdict::Allow,
            };
        }
        match verdict {
            Verdict::Allow => true,
            Verdict::Drop { notify } => {
                if notify {
                    let mut details = Map::new();
                    if let Some(m) = message {
                        details.insert("type".into(), m.name().into());
                    }
                    self.error(
                        conn,
                        ErrorCode::RateLimited,
                        "too many messages; this one was dropped",
                        details,
                    );
                }
                false
            }
            Verdict::Abuse => {
                self.error(
                    conn,
                    ErrorCode::RateLimited,
                    "sustained flooding; closing",
                    Map::new(),
                );
                self.close(now, conn, 4008, "rate limit abuse");
                false
            }
        }
    }

    /// The world user of a connection that has joined.
    fn member_of(&self, conn: ConnId) -> Option<Uuid> {
        match self.connections.get(&conn)?.stage {
            Stage::InWorld { user } => Some(user),
            _ => None,
        }
    }

    fn send(&mut self, conn: ConnId, message: ServerMessage) {
        self.outputs.push_back(WorldOutput::Send { conn, message });
    }

    fn send_to_user(&mut self, user: Uuid, message: ServerMessage) {
        if let Some(conn) = self.members.get(&user).map(|m| m.conn) {
            self.send(conn, message);
        }
    }

    fn error(&mut self, conn: ConnId, code: ErrorCode, message: &str, details: Map<String, Value>) {
        let mut payload = ErrorPayload::new(code, message);
        payload.details = details;
        self.send(conn, ServerMessage::Error(payload));
    }

    /// Sends `message` to every user of `zone` except `except`.
    fn broadcast_zone(&mut self, zone: &ZoneId, except: Option<Uuid>, message: &ServerMessage) {
        let users: Vec<Uuid> = self
            .zones
            .get(zone)
            .map(|z| {
                z.users
                    .iter()
                    .copied()
                    .filter(|u| Some(*u) != except)
                    .collect()
            })
            .unwrap_or_default();
        for user in users {
            self.send_to_user(user, message.clone());
        }
    }
}

/// One-key details object for errors.
fn detail(key: &str, value: impl Into<Value>) -> Map<String, Value> {
    let mut map = Map::new();
    map.insert(key.to_owned(), value.into());
    map
}
