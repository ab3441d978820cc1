//! Deterministic tests of the world server: explicit time, the demo world, no sockets.

mod moderation;
mod movement;
mod objects;
mod session;
mod topology;

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use uuid::Uuid;

use super::*;
use crate::auth::{WorldTokenRequest, mint_world_token};
use crate::world::map::World;
use crate::world::wire::{self, ClientMessage, ServerMessage};

pub const SECRET: &[u8] = b"world-unit-secret";
pub const UNIX0: i64 = 1_700_000_000_000;

pub struct Harness {
    pub server: WorldServer,
    t0: Instant,
    pub ms: u64,
    pub outputs: Vec<WorldOutput>,
    next_conn: u64,
}

/// A joined test user.
#[derive(Debug, Clone, Copy)]
pub struct Client {
    pub conn: ConnId,
    pub id: Uuid,
}

impl Harness {
    pub fn new() -> Self {
        let config = WorldConfig {
            turn: Some(TurnConfig {
                urls: vec!["turn:127.0.0.1:3478".into()],
                secret: b"turn-secret".to_vec(),
                ttl_secs: 600,
            }),
            ..WorldConfig::new(
                crate::auth::WorldTokenVerifier::new(SECRET, "hearth"),
                SECRET.to_vec(),
                "hearth".into(),
                "ws://127.0.0.1:7800/signal".into(),
            )
        };
        Self {
            server: WorldServer::new(World::demo(), config),
            t0: Instant::now(),
            ms: 0,
            outputs: Vec::new(),
            next_conn: 1,
        }
    }

    pub fn now(&self) -> Now {
        Now {
            instant: self.t0 + Duration::from_millis(self.ms),
            unix_ms: UNIX0 + self.ms as i64,
        }
    }

    pub fn advance(&mut self, ms: u64) {
        self.ms += ms;
        let now = self.now();
        self.server.handle_timeout(now);
        self.collect();
    }

    fn collect(&mut self) {
        while let Some(o) = self.server.poll_output() {
            self.outputs.push(o);
        }
    }

    pub fn token(&self, id: Uuid, roles: &[crate::roles::Role]) -> String {
        let request = WorldTokenRequest {
            user_id: id,
            workspace_id: Uuid::from_bytes(World::demo().workspace_id().0),
            roles: roles.to_vec(),
            display_name: format!("user-{}", id.as_u128()),
            avatar_id: "fox".into(),
            ttl_secs: 3600,
        };
        mint_world_token(SECRET, "hearth", &request, UNIX0 / 1000)
    }

    pub fn open(&mut self) -> ConnId {
        let conn = ConnId(self.next_conn);
        self.next_conn += 1;
        let now = self.now();
        self.server
            .handle_open(now, conn, IpAddr::V4(Ipv4Addr::LOCALHOST), None);
        conn
    }

    pub fn send(&mut self, conn: ConnId, message: ClientMessage) {
        let now = self.now();
        self.server.handle_message(now, conn, message);
        self.collect();
    }

    /// Connects and joins the demo world as user `n` with `roles`.
    pub fn join(&mut self, n: u128, roles: &[crate::roles::Role]) -> Client {
        let id = Uuid::from_u128((n << 64) | n);
        let conn = self.open();
        let token = self.token(id, roles);
        self.send(
            conn,
            ClientMessage::Connect(wire::Connect {
                token,
                client_version: "test".into(),
            }),
        );
        let world_id = wire::WorldId::new(self.server.world().id().to_string());
        self.send(conn, ClientMessage::JoinWorld(wire::JoinWorld { world_id }));
        let got = self.take(conn);
        assert!(
            got.iter()
                .any(|m| matches!(m, ServerMessage::WorldState(_))),
            "user {n} must get WORLD_STATE: {got:?}"
        );
        Client { conn, id }
    }

    /// Takes the messages sent to `conn` so far.
    pub fn take(&mut self, conn: ConnId) -> Vec<ServerMessage> {
        let mut taken = Vec::new();
        self.outputs.retain(|o| match o {
            WorldOutput::Send { conn: c, message } if *c == conn => {
                taken.push(message.clone());
                false
            }
            _ => true,
        });
        taken
    }

    /// Takes the outputs that are not messages (closes, SFU requests, events).
    pub fn take_effects(&mut self) -> Vec<WorldOutput> {
        let mut taken = Vec::new();
        self.outputs.retain(|o| {
            if matches!(o, WorldOutput::Send { .. }) {
                true
            } else {
                taken.push(o.clone());
                false
            }
        });
        taken
    }

    /// The socket of `conn` closed.
    pub fn close(&mut self, conn: ConnId) {
        let now = self.now();
        self.server.handle_close(now, conn);
        self.collect();
    }

    pub fn clear(&mut self) {
        self.outputs.clear();
    }

    pub fn presence(&mut self, c: Client, x: f64, y: f64) {
        let update = wire::PresenceUpdate {
            position: wire::Position::new(x, y),
            facing: wire::Facing::South,
            state: wire::AvatarState::Walking,
            zone_id: None,
        };
        self.send(c.conn, ClientMessage::PresenceUpdate(update));
    }

    /// Walks `c` in a straight line to (x, y), half a tile every 100 ms, asserting no correction.
    pub fn walk(&mut self, c: Client, x: f64, y: f64) {
        let (mut cx, mut cy) = self.position(c);
        loop {
            let (dx, dy) = (x - cx, y - cy);
            let d = dx.hypot(dy);
            if d < 1e-9 {
                break;
            }
            let step = d.min(0.5);
            cx += dx / d * step;
            cy += dy / d * step;
            self.advance(100);
            self.presence(c, cx, cy);
            let corrected = self.outputs.iter().any(|o| {
                matches!(o, WorldOutput::Send { conn, message: ServerMessage::PositionCorrection(_) } if *conn == c.conn)
            });
            assert!(!corrected, "walking to ({cx}, {cy}) was corrected");
        }
    }

    pub fn position(&self, c: Client) -> (f64, f64) {
        let m = self
            .server
            .members
            .get(&c.id)
            .expect("the user is in the world");
        (m.position.x, m.position.y)
    }

    pub fn zone_of(&self, c: Client) -> String {
        self.server
            .members
            .get(&c.id)
            .expect("in the world")
            .zone
            .as_str()
            .to_owned()
    }
}

pub fn errors(messages: &[ServerMessage]) -> Vec<wire::ErrorCode> {
    messages
        .iter()
        .filter_map(|m| match m {
            ServerMessage::Error(e) => Some(e.code),
            _ => None,
        })
        .collect()
}

pub fn names(messages: &[ServerMessage]) -> Vec<&'static str> {
    messages.iter().map(ServerMessage::name).collect()
}

/// Where the demo's spawn points are; the team area's east edge is x = 24.
pub const TEAM_SPOT: (f64, f64) = (22.5, 22.5);
pub const MEETING_INSIDE: (f64, f64) = (8.5, 10.5);
pub const MEETING_DOORSTEP: (f64, f64) = (8.5, 13.5);
