//! Connections: `CONNECT` (token, version, auth attempt limit), `JOIN_WORLD`, leaving, closing,
//! and the timers that are not about movement.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use serde_json::Map;
use uuid::Uuid;

use super::convert::wire_user_id;
use super::{Member, Stage, WorldEvent, WorldOutput, WorldServer, detail};
use crate::clock::Now;
use crate::ids::ConnId;
use crate::world::wire::{
    self, AvatarState, ClientMessage, Connected, ErrorCode, Facing, ServerMessage, WorldState,
};

/// Window of the auth attempt limit.
const AUTH_WINDOW: Duration = Duration::from_secs(60);

impl WorldServer {
    pub(super) fn on_connect(&mut self, now: Now, conn: ConnId, connect: wire::Connect) {
        let Some(connection) = self.connections.get(&conn) else {
            return;
        };
        if !matches!(connection.stage, Stage::AwaitingConnect { .. }) {
            self.error(
                conn,
                ErrorCode::InvalidRequest,
                "already connected",
                Map::new(),
            );
            return;
        }
        let addr = connection.addr;
        if self.auth_blocked(now.instant, addr) {
            self.error(
                conn,
                ErrorCode::RateLimited,
                "too many failed sign-ins from this address; wait a minute",
                Map::new(),
            );
            self.close(now, conn, 4008, "auth attempts exhausted");
            return;
        }
        let grant = match self.config.verifier.verify(&connect.token, now.unix_secs()) {
            Ok(grant) => grant,
            Err(e) => {
                self.auth_failures
                    .entry(addr)
                    .or_default()
                    .push_back(now.instant);
                self.outputs
                    .push_back(WorldOutput::Event(WorldEvent::AuthFailed { addr }));
                self.error(
                    conn,
                    ErrorCode::AuthFailed,
                    "token invalid or expired",
                    detail("reason", e.to_string()),
                );
                self.close(now, conn, 4003, "authentication failed");
                return;
            }
        };
        // A token names its workspace: one minted for another world signed with the same
        // secret does not sign in here.
        if grant.workspace_id.as_bytes() != &self.world.workspace_id().0 {
            self.error(
                conn,
                ErrorCode::AuthFailed,
                "this token is for another workspace",
                Map::new(),
            );
            self.close(now, conn, 4003, "authentication failed");
            return;
        }
        let user = wire::User {
            user_id: wire_user_id(grant.user_id),
            workspace_id: wire::WorkspaceId::new(grant.workspace_id.to_string()),
            display_name: grant.display_name.clone(),
            avatar_id: grant.avatar_id.clone(),
            roles: grant.roles.clone(),
        };
        if let Some(connection) = self.connections.get_mut(&conn) {
            connection.stage = Stage::Connected { grant };
        }
        self.send(
            conn,
            ServerMessage::Connected(Connected {
                user,
                server_version: self.config.server_version.clone(),
                extensions: wire::EXTENSIONS.iter().map(|e| (*e).to_owned()).collect(),
            }),
        );
    }

    /// True when `addr` used up its failed sign-ins for the last minute.
    fn auth_blocked(&mut self, now: Instant, addr: IpAddr) -> bool {
        let Some(failures) = self.auth_failures.get_mut(&addr) else {
            return false;
        };
        while failures
            .front()
            .is_some_and(|t| now.duration_since(*t) >= AUTH_WINDOW)
        {
            failures.pop_front();
        }
        if failures.is_empty() {
            self.auth_failures.remove(&addr);
            return false;
        }
        failures.len() >= self.config.max_auth_failures
    }

    /// A message other than `CONNECT` from a connection that has not joined the world.
    pub(super) fn reject_before_join(&mut self, now: Now, conn: ConnId, message: &ClientMessage) {
        let stage = self.connections.get(&conn).map(|c| &c.stage);
        match (stage, message) {
            (Some(Stage::Connected { .. }), ClientMessage::JoinWorld(join)) => {
                let join = join.clone();
                self.on_join_world(now, conn, join);
            }
            (Some(Stage::Connected { .. }), other) => self.error(
                conn,
                ErrorCode::InvalidRequest,
                "join a world first (JOIN_WORLD)",
                detail("type", other.name()),
            ),
            (Some(Stage::Closing) | None, _) => {}
            (_, other) => self.error(
                conn,
                ErrorCode::AuthFailed,
                "send CONNECT with a token first",
                detail("type", other.name()),
            ),
        }
    }

    fn on_join_world(&mut self, now: Now, conn: ConnId, join: wire::JoinWorld) {
        if join.world_id.as_str() != self.world.id().to_string() {
            self.error(
                conn,
                ErrorCode::WorldNotFound,
                "no such world on this host",
                detail("world_id", join.world_id.as_str()),
            );
            return;
        }
        if self.members.len() >= self.config.max_users {
            self.error(
                conn,
                ErrorCode::PermissionDenied,
                "the world is full",
                detail("reason", "world_full"),
            );
            return;
        }
        let Some(Stage::Connected { grant }) = self.connections.get(&conn).map(|c| &c.stage) else {
            return;
        };
        let grant = grant.clone();
        // One session per user: a new one replaces the old (like signing in on another device).
        if let Some(old) = self.members.get(&grant.user_id).map(|m| m.conn) {
            self.error(
                old,
                ErrorCode::PermissionDenied,
                "signed in from another connection",
                detail("reason", "replaced"),
            );
            self.close_at(old, 4013, "replaced");
            self.leave_world(grant.user_id, "replaced");
        }
        let Some((position, zone)) = self.free_spawn() else {
            self.error(
                conn,
                ErrorCode::PermissionDenied,
                "no room at any spawn point",
                detail("reason", "zone_full"),
            );
            return;
        };
        let user = wire::User {
            user_id: wire_user_id(grant.user_id),
            workspace_id: wire::WorkspaceId::new(grant.workspace_id.to_string()),
            display_name: grant.display_name.clone(),
            avatar_id: grant.avatar_id.clone(),
            roles: grant.roles.clone(),
        };
        self.members.insert(
            grant.user_id,
            Member {
                id: grant.user_id,
                conn,
                user,
                roles: grant.roles.clone(),
                position,
                facing: Facing::South,
                state: AvatarState::Idle,
                zone: zone.clone(),
                moved_at: now.instant,
                heard_at: now.instant,
                used_turn: false,
                sfu_connected: false,
                muted_until: None,
            },
        );
        if let Some(connection) = self.connections.get_mut(&conn) {
            connection.stage = Stage::InWorld {
                user: grant.user_id,
            };
        }
        self.outputs
            .push_back(WorldOutput::Event(WorldEvent::Joined {
                user: grant.user_id,
                name: grant.display_name.clone(),
            }));
        let world_state = ServerMessage::WorldState(WorldState {
            world_id: self.wire_world_id(),
            current_zone: self.wire_zone(&zone),
            media_topology: self.topology_for(grant.user_id, &zone),
            peers: self.zone_snapshot(&zone, None),
            world: Some(self.world_json.clone()),
            you: self
                .members
                .get(&grant.user_id)
                .map(|m| Box::new(Self::peer_state(m))),
        });
        self.send(conn, world_state);
        self.enter_zone(now, grant.user_id, &zone);
    }

    /// A spawn point whose zone has room, with that zone.
    fn free_spawn(&self) -> Option<(wire::Position, crate::world::map::ZoneId)> {
        self.world.spawn_points().iter().find_map(|spawn| {
            let zone = self.world.zone_at(spawn.position.x, spawn.position.y)?;
            let users = self.zones.get(&zone.id).map_or(0, |z| z.users.len());
            (users < self.world.zone_capacity(zone) as usize).then(|| {
                (
                    wire::Position::new(spawn.position.x, spawn.position.y),
                    zone.id.clone(),
                )
            })
        })
    }

    /// The socket closed.
    pub fn handle_close(&mut self, now: Now, conn: ConnId) {
        let _ = now;
        if let Some(user) = self.member_of(conn) {
            self.leave_world(user, "disconnected");
        }
        self.connections.remove(&conn);
    }

    /// Closes a connection: the user leaves the world, then the socket closes with `code`.
    pub(super) fn close(&mut self, now: Now, conn: ConnId, code: u16, reason: &'static str) {
        self.close_at(conn, code, reason);
        self.handle_close(now, conn);
    }

    fn close_at(&mut self, conn: ConnId, code: u16, reason: &'static str) {
        self.outputs
            .push_back(WorldOutput::Close { conn, code, reason });
    }

    /// Removes a user from the world: locks released, zone told, SFU left alone (the client
    /// leaves it; a kick disconnects it explicitly).
    pub(super) fn leave_world(&mut self, user: Uuid, reason: &'static str) {
        let Some(member) = self.members.get(&user) else {
            return;
        };
        let zone = member.zone.clone();
        let conn = member.conn;
        self.release_locks_of(user);
        self.exit_zone(user, &zone);
        self.members.remove(&user);
        if let Some(connection) = self.connections.get_mut(&conn) {
            connection.stage = Stage::Closing;
        }
        self.outputs
            .push_back(WorldOutput::Event(WorldEvent::Left { user, reason }));
    }

    /// Runs the timers: connect deadlines, mute expiry, lock timeouts, presence broadcasts.
    pub fn handle_timeout(&mut self, now: Now) {
        let late: Vec<ConnId> = self
            .connections
            .iter()
            .filter(|(_, c)| matches!(c.stage, Stage::AwaitingConnect { deadline } if deadline <= now.instant))
            .map(|(id, _)| *id)
            .collect();
        for conn in late {
            if self.member_of(conn).is_none() {
                self.error(
                    conn,
                    ErrorCode::AuthFailed,
                    "no CONNECT within 10 s",
                    Map::new(),
                );
                self.close(now, conn, 4001, "connect timeout");
            }
        }
        self.expire_mutes(now);
        self.expire_locks(now);
        self.flush_presence(now);
    }
}
