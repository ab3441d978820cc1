//! The client side of `/world` (seed 004, SPEC section 6) as a sans-IO state machine: server
//! messages, moves and time go in; frames to send and events for the user come out.
//!
//! Order: `CONNECT` at once, `JOIN_WORLD` after `CONNECTED`, then presence. The session keeps
//! the user's own position (predicted on every move, snapped to a `POSITION_CORRECTION`, with a
//! short glide for drawing) and the other users of its zone with their positions, from the
//! snapshots (`WORLD_STATE`, `ZONE_TRANSITIONED`) and the deltas (`PEER_JOINED`, `PEER_LEFT`,
//! `PRESENCE_BROADCAST`).
//!
//! A session built [`WorldSession::with_reconnect`] survives a lost socket once it has been in
//! the world: it waits out a [`Backoff`], asks its shell to dial again ([`Action::Dial`]), signs
//! in with the same token, rejoins the same world and walks the user back to where it stood (see
//! `session_reconnect.rs`).

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use serde_json::Value;
use sfu_core::roles::Role;
use sfu_core::world::wire::{
    AvatarState, ClientMessage, Connect, Facing, JoinWorld, MediaTopology, PeerState, Position,
    PresenceUpdate, ServerMessage, User, WorldId, WorldUserId, Zone,
};

use super::events::{PeerView, Point, WorldEvent};
use super::reconnect::{Backoff, ReconnectPolicy};
use super::throttle::{Glide, PresenceThrottle};
use super::walk_back::WalkBack;
use super::world_map::{SharedWorldMap, WorldMap};

/// The `client_version` sent in `CONNECT`.
pub const CLIENT_VERSION: &str = env!("CARGO_PKG_VERSION");

/// How long the session waits for `WORLD_STATE` after opening before giving up.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Something the session wants its shell to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Send this message on the WebSocket.
    Send(ClientMessage),
    /// Report to the user.
    Emit(WorldEvent),
    /// The session is over: close the socket.
    Close,
    /// Drop the current socket (it failed); the session goes on and will ask for
    /// [`Action::Dial`].
    Disconnect,
    /// Open a new socket to the same server and report [`WorldSession::handle_dialed`] or
    /// [`WorldSession::handle_dial_failed`].
    Dial,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    AwaitingConnected,
    AwaitingWorld,
    InWorld,
    /// The socket was lost; attempt `attempt` dials at `at`.
    Reconnecting {
        attempt: u32,
        at: Instant,
    },
    /// The shell is opening a socket for attempt `attempt`.
    Dialing {
        attempt: u32,
    },
    Closed,
}

/// Another user of this user's zone, as last heard.
#[derive(Debug, Clone, PartialEq)]
pub struct Peer {
    /// Who the peer is.
    pub user: User,
    /// Where the peer stands.
    pub position: Position,
    /// Which way the peer faces.
    pub facing: Facing,
    /// What the peer is doing.
    pub state: AvatarState,
}

/// One `/world` session, from `CONNECT` to close.
pub struct WorldSession {
    state: State,
    /// Kept to sign in again after a reconnect; never logged.
    token: String,
    world_id: WorldId,
    /// `None`: the shell cannot dial again, so a lost socket ends the session.
    backoff: Option<Backoff>,
    /// Whether a `WORLD_STATE` ever arrived: only a session that got in reconnects.
    been_in_world: bool,
    /// The server told this user to go (kicked, replaced): the close that follows is final.
    dismissed: bool,
    /// The user's roles (from `CONNECTED`), for planning a walk past doors.
    roles: Vec<Role>,
    /// The world file of the latest `WORLD_STATE` that carried one, decoded once: it goes out
    /// with the `WorldState` event and plans a walk back.
    world_map: Option<SharedWorldMap>,
    /// Where to walk back to once the rejoin's `WORLD_STATE` arrives.
    restore_to: Option<Position>,
    /// The walk back under way.
    walk_back: Option<WalkBack>,
    actions: VecDeque<Action>,
    handshake_deadline: Instant,
    me: Option<WorldUserId>,
    zone: Option<Zone>,
    topology: Option<MediaTopology>,
    /// The other users of `zone`; never this user.
    peers: BTreeMap<WorldUserId, Peer>,
    /// Where this user is, as far as the client knows (predicted, or corrected).
    position: Option<Position>,
    facing: Facing,
    throttle: PresenceThrottle,
    glide: Option<Glide>,
}

impl WorldSession {
    /// Starts a session for `token` into `world_id`: `CONNECT` is the first action.
    pub fn new(now: Instant, token: String, world_id: WorldId) -> Self {
        let mut actions = VecDeque::new();
        actions.push_back(Action::Send(connect(&token)));
        Self {
            state: State::AwaitingConnected,
            token,
            world_id,
            backoff: None,
            been_in_world: false,
            dismissed: false,
            roles: Vec::new(),
            world_map: None,
            restore_to: None,
            walk_back: None,
            actions,
            handshake_deadline: now + HANDSHAKE_TIMEOUT,
            me: None,
            zone: None,
            topology: None,
            peers: BTreeMap::new(),
            position: None,
            facing: Facing::South,
            throttle: PresenceThrottle::new(),
            glide: None,
        }
    }

    /// Lets the session dial again (via [`Action::Dial`]) after losing its socket, following
    /// `policy`. Without it a lost socket ends the session.
    #[must_use]
    pub fn with_reconnect(mut self, policy: ReconnectPolicy) -> Self {
        self.backoff = Some(Backoff::new(policy));
        self
    }

    /// Whether the session has ended.
    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Whether the user is in the world (`WORLD_STATE` arrived, not closed).
    pub fn in_world(&self) -> bool {
        self.state == State::InWorld
    }

    /// The next thing to do, if any.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When [`WorldSession::handle_timeout`] is due: the handshake deadline, or when a held-back
    /// presence update may go.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::AwaitingConnected | State::AwaitingWorld => Some(self.handshake_deadline),
            State::InWorld => {
                let walk = self.walk_back.as_ref().map(WalkBack::poll_timeout);
                match (self.throttle.poll_timeout(), walk) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                }
            }
            State::Reconnecting { at, .. } => Some(at),
            State::Dialing { .. } | State::Closed => None,
        }
    }

    /// Runs the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        match self.state {
            State::AwaitingConnected | State::AwaitingWorld if now >= self.handshake_deadline => {
                self.lost(now, None, "no WORLD_STATE within 10 s");
            }
            State::InWorld => {
                if let Some(update) = self.throttle.handle_timeout(now) {
                    self.send(ClientMessage::PresenceUpdate(update));
                }
                self.step_walk_back(now);
            }
            State::Reconnecting { attempt, at } if now >= at => {
                self.state = State::Dialing { attempt };
                self.actions.push_back(Action::Dial);
            }
            _ => {}
        }
    }

    /// This user's id, once `CONNECTED` said it.
    pub fn user_id(&self) -> Option<&WorldUserId> {
        self.me.as_ref()
    }

    /// The zone this user is in.
    pub fn zone(&self) -> Option<&Zone> {
        self.zone.as_ref()
    }

    /// How the zone's audio flows.
    pub fn topology(&self) -> Option<MediaTopology> {
        self.topology
    }

    /// The other users of the zone, by id.
    pub fn peers(&self) -> &BTreeMap<WorldUserId, Peer> {
        &self.peers
    }

    /// Where this user is: the latest move, or where the server put it back.
    pub fn position(&self) -> Option<Position> {
        self.position
    }

    /// Where to draw this user at `now`: [`WorldSession::position`], except for a short glide
    /// after a correction.
    pub fn drawn_position(&self, now: Instant) -> Option<Position> {
        match &self.glide {
            Some(glide) if !glide.done(now) => Some(glide.at(now)),
            _ => self.position,
        }
    }

    /// Moves this user to `to` at `now`: predicted at once, sent as `PRESENCE_UPDATE` at most
    /// 15 times a second (a move that has to wait is replaced by any later one). Ignored until
    /// the user is in the world; while reconnecting only kept, as where to walk back to. A move
    /// of the user's own ends any walk back.
    pub fn move_to(&mut self, now: Instant, to: Position) {
        if self.state != State::InWorld {
            if self.been_in_world && !self.is_closed() {
                self.restore_to = Some(to);
            }
            return;
        }
        self.walk_back = None;
        self.move_now(now, to);
    }

    /// Reports `to` as this user's position (predicted at once, throttled on the wire).
    fn move_now(&mut self, now: Instant, to: Position) {
        if let Some(from) = self.position {
            self.facing = facing(from, to).unwrap_or(self.facing);
        }
        self.position = Some(to);
        self.glide = None;
        let update = PresenceUpdate {
            position: to,
            facing: self.facing,
            state: AvatarState::Walking,
            zone_id: self.zone.as_ref().map(|z| z.zone_id.clone()),
        };
        if let Some(update) = self.throttle.offer(now, update) {
            self.send(ClientMessage::PresenceUpdate(update));
        }
    }

    /// Sends any other request (`SFU_CONNECTED`, `INTERACT_REQUEST`, moderation, ...) once in
    /// the world; dropped before (and while reconnecting: a request made for the old
    /// connection means nothing to the new one).
    pub fn request(&mut self, message: ClientMessage) {
        if self.state == State::InWorld {
            self.send(message);
        } else if let Some(to) =
            rejoin::wanted_position(&message).filter(|_| self.been_in_world && !self.is_closed())
        {
            self.restore_to = Some(to);
        } else {
            tracing::debug!(kind = message.name(), "not in the world; request dropped");
        }
    }

    /// Leaves: the protocol has no goodbye, closing the socket leaves the world.
    pub fn leave(&mut self) {
        self.close(Some(1000), "left");
    }

    /// The socket closed under us at `now` (with its close code, if any): reconnects when the
    /// session may (see [`WorldSession::with_reconnect`]), else ends.
    pub fn handle_closed(&mut self, now: Instant, code: Option<u16>, reason: &str) {
        self.lost(now, code, reason);
    }

    fn close(&mut self, code: Option<u16>, reason: &str) {
        if self.state == State::Closed {
            return;
        }
        self.state = State::Closed;
        self.emit(WorldEvent::Closed {
            code,
            reason: reason.to_owned(),
        });
        self.actions.push_back(Action::Close);
    }

    fn send(&mut self, message: ClientMessage) {
        self.actions.push_back(Action::Send(message));
    }

    fn emit(&mut self, event: WorldEvent) {
        self.actions.push_back(Action::Emit(event));
    }

    /// Replaces the peers with a snapshot (never including this user) and returns their views.
    fn take_snapshot(&mut self, snapshot: &[PeerState]) -> Vec<PeerView> {
        self.peers.clear();
        let me = self.me.clone();
        for peer in snapshot
            .iter()
            .filter(|p| Some(&p.user.user_id) != me.as_ref())
        {
            self.peers.insert(
                peer.user.user_id.clone(),
                Peer {
                    user: peer.user.clone(),
                    position: peer.position,
                    facing: peer.facing,
                    state: peer.state,
                },
            );
        }
        snapshot
            .iter()
            .filter(|p| Some(&p.user.user_id) != me.as_ref())
            .map(PeerView::from)
            .collect()
    }

    /// Handles one message from the server.
    pub fn handle_server(&mut self, now: Instant, message: ServerMessage) {
        if self.state == State::Closed {
            return;
        }
        match message {
            ServerMessage::Connected(connected) => {
                if self.state != State::AwaitingConnected {
                    return;
                }
                self.state = State::AwaitingWorld;
                self.me = Some(connected.user.user_id.clone());
                self.roles.clone_from(&connected.user.roles);
                self.emit(WorldEvent::Connected {
                    user_id: connected.user.user_id,
                    display_name: connected.user.display_name,
                    roles: connected.user.roles,
                });
                let world_id = self.world_id.clone();
                self.send(ClientMessage::JoinWorld(JoinWorld { world_id }));
            }
            ServerMessage::WorldState(state) => {
                if matches!(
                    self.state,
                    State::Reconnecting { .. } | State::Dialing { .. }
                ) {
                    return;
                }
                let rejoined = self.been_in_world && self.state != State::InWorld;
                self.state = State::InWorld;
                self.been_in_world = true;
                if let Some(backoff) = &mut self.backoff {
                    backoff.reset();
                }
                if let Some(file) = state.world.clone() {
                    self.world_map = Some(WorldMap::decode(file));
                }
                let peers = self.take_snapshot(&state.peers);
                // Where the server put us: `WORLD_STATE_YOU`, else (older servers) the first spawn point.
                if let Some(you) = &state.you {
                    self.position = Some(you.position);
                } else if self.position.is_none() || rejoined {
                    self.position = state.world.as_ref().and_then(first_spawn);
                }
                self.topology = Some(state.media_topology);
                self.zone = Some(state.current_zone.clone());
                let zone = state.current_zone.zone_id.clone();
                self.emit(WorldEvent::WorldState {
                    world_id: state.world_id,
                    zone: state.current_zone.zone_id,
                    zone_type: state.current_zone.zone_type,
                    topology: state.media_topology,
                    position: self.position.map(|p| Point { x: p.x, y: p.y }),
                    peers,
                    world: state
                        .world
                        .is_some()
                        .then(|| self.world_map.clone())
                        .flatten(),
                });
                if rejoined {
                    self.rejoined(now, zone);
                }
            }
            ServerMessage::ZoneTransitioned(transition) => {
                let peers = self.take_snapshot(&transition.presence_snapshot);
                self.topology = Some(transition.media_topology);
                self.zone = Some(transition.zone.clone());
                self.emit(WorldEvent::ZoneChanged {
                    zone: transition.zone.zone_id,
                    zone_type: transition.zone.zone_type,
                    topology: transition.media_topology,
                    peers,
                });
            }
            ServerMessage::PositionCorrection(correction) => {
                let to = correction.correct_position;
                if let Some(from) = self.drawn_position(now) {
                    self.glide = Some(Glide::new(from, to, now));
                }
                self.position = Some(to);
                self.throttle.discard_pending();
                // The server refused a step: stop walking back rather than argue.
                self.walk_back = None;
                self.emit(WorldEvent::Corrected {
                    x: to.x,
                    y: to.y,
                    reason: correction.reason,
                });
            }
            other => self.handle_zone_news(other),
        }
    }
}

/// The `CONNECT` that signs in with `token`.
fn connect(token: &str) -> ClientMessage {
    ClientMessage::Connect(Connect {
        token: token.to_owned(),
        client_version: CLIENT_VERSION.to_owned(),
    })
}

/// The way an avatar faces after moving from `from` to `to`: the axis it moved most along;
/// `None` when it did not move.
fn facing(from: Position, to: Position) -> Option<Facing> {
    let (dx, dy) = (to.x - from.x, to.y - from.y);
    if dx == 0.0 && dy == 0.0 {
        return None;
    }
    Some(if dx.abs() >= dy.abs() {
        if dx > 0.0 { Facing::East } else { Facing::West }
    } else if dy > 0.0 {
        Facing::South
    } else {
        Facing::North
    })
}

/// The first spawn point of a world file (`spawnPoints[0].position`): where a Hearth server
/// places a newcomer whose zone has room, since `WORLD_STATE` does not say.
fn first_spawn(world: &Value) -> Option<Position> {
    let position = world.get("spawnPoints")?.get(0)?.get("position")?;
    let x = position.get("x")?.as_f64()?;
    let y = position.get("y")?.as_f64()?;
    Some(Position::new(x, y))
}

#[path = "session_news.rs"]
mod news;

#[path = "session_reconnect.rs"]
mod rejoin;

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "session_reconnect_tests.rs"]
mod reconnect_tests;
