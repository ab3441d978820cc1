//! The part of [`WorldSession`] that survives a lost socket: deciding whether to dial again,
//! waiting out the backoff, signing in again and walking the user back to where it stood.
//!
//! A loss is retried only when the session was built [`WorldSession::with_reconnect`], has been
//! in the world at least once (a first sign-in that fails is reported, not retried), was not
//! told to go (kicked, replaced) and the close code is one [`ReconnectPolicy::retries`]. An
//! `ERROR` during the rejoin's handshake (a token that expired meanwhile, a full world) ends the
//! session like a first refusal does.
//!
//! [`ReconnectPolicy::retries`]: super::ReconnectPolicy::retries

use std::time::Instant;

use sfu_core::world::wire::{ClientMessage, Position, ZoneId};

use super::{HANDSHAKE_TIMEOUT, State, WalkBack, WorldEvent, WorldSession, connect};

/// `ERROR.details.reason` values that mean the server sent this user away for good.
const DISMISSALS: [&str; 2] = ["kicked", "replaced"];

impl WorldSession {
    /// Whether the session is between sockets: waiting to dial, dialling, or signing in again.
    pub fn is_reconnecting(&self) -> bool {
        match self.state {
            State::Reconnecting { .. } | State::Dialing { .. } => true,
            State::AwaitingConnected | State::AwaitingWorld => self.been_in_world,
            State::InWorld | State::Closed => false,
        }
    }

    /// The shell opened the socket [`super::Action::Dial`] asked for, at `now`: `CONNECT` with
    /// the same token goes first, `JOIN_WORLD` into the same world follows.
    pub fn handle_dialed(&mut self, now: Instant) {
        if !matches!(self.state, State::Dialing { .. }) {
            return;
        }
        self.state = State::AwaitingConnected;
        self.handshake_deadline = now + HANDSHAKE_TIMEOUT;
        self.send(connect(&self.token));
    }

    /// The shell could not open the socket [`super::Action::Dial`] asked for: the next attempt
    /// is scheduled, or the session ends when none is left.
    pub fn handle_dial_failed(&mut self, now: Instant, reason: &str) {
        if !matches!(self.state, State::Dialing { .. }) {
            return;
        }
        self.schedule_reconnect(now, None, reason);
    }

    /// An in-world `ERROR` that sends this user away makes the close that follows final.
    pub(super) fn note_dismissal(&mut self, details: &serde_json::Map<String, serde_json::Value>) {
        let reason = details.get("reason").and_then(|r| r.as_str());
        if reason.is_some_and(|r| DISMISSALS.contains(&r)) {
            self.dismissed = true;
        }
    }

    /// The socket is gone or failed its handshake: reconnect when the session may, else end.
    pub(super) fn lost(&mut self, now: Instant, code: Option<u16>, reason: &str) {
        match self.state {
            // Already between sockets: the old one's last words change nothing.
            State::Closed | State::Reconnecting { .. } | State::Dialing { .. } => return,
            State::AwaitingConnected | State::AwaitingWorld | State::InWorld => {}
        }
        let retry = self.been_in_world
            && !self.dismissed
            && self
                .backoff
                .as_ref()
                .is_some_and(|b| b.policy().retries(code));
        if !retry {
            self.close(code, reason);
            return;
        }
        self.actions.push_back(super::Action::Disconnect);
        if self.state == State::InWorld {
            // Walk back to where the user last was (or was heading), not where the server saw it.
            let heading = self.walk_back.as_ref().map(WalkBack::target);
            self.restore_to = self.restore_to.or(heading).or(self.position);
        }
        self.schedule_reconnect(now, code, reason);
    }

    /// Waits for the next attempt, or ends the session when all are used up.
    fn schedule_reconnect(&mut self, now: Instant, code: Option<u16>, reason: &str) {
        let next = self.backoff.as_mut().and_then(|b| b.next_attempt());
        let Some((attempt, delay)) = next else {
            let attempts = self.backoff.as_ref().map_or(0, |b| b.attempts());
            self.close(
                code,
                &format!("gave up reconnecting after {attempts} attempts: {reason}"),
            );
            return;
        };
        tracing::debug!(attempt, ?delay, reason, "world socket lost; reconnecting");
        self.state = State::Reconnecting {
            attempt,
            at: now + delay,
        };
        // What the old connection knew of the zone is stale; the rejoin sends a fresh snapshot.
        self.peers.clear();
        self.throttle.discard_pending();
        self.walk_back = None;
        self.glide = None;
        self.emit(WorldEvent::Reconnecting {
            attempt,
            delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            reason: reason.to_owned(),
        });
    }

    /// The rejoin's `WORLD_STATE` put the user in `zone`: report it, then walk back.
    pub(super) fn rejoined(&mut self, now: Instant, zone: ZoneId) {
        self.emit(WorldEvent::Reconnected { zone });
        let (Some(to), Some(from)) = (self.restore_to.take(), self.position) else {
            return;
        };
        if to == from {
            return;
        }
        let world = self.world_map.as_ref().and_then(|map| map.world());
        match world.and_then(|w| WalkBack::plan(w, &self.roles, from, to, now)) {
            Some(walk) => {
                self.walk_back = Some(walk);
                self.step_walk_back(now);
            }
            // No map to plan on (or no way there): ask for the spot and let the server judge.
            None => self.move_now(now, to),
        }
    }

    /// Takes the walk back's next step when it is due.
    pub(super) fn step_walk_back(&mut self, now: Instant) {
        let Some(step) = self.walk_back.as_mut().and_then(|w| w.handle_timeout(now)) else {
            return;
        };
        if self.walk_back.as_ref().is_some_and(WalkBack::is_done) {
            self.walk_back = None;
        }
        self.move_now(now, step);
    }

    /// Where the user will be walked back to once the rejoin's `WORLD_STATE` arrives.
    pub fn restore_target(&self) -> Option<Position> {
        self.restore_to
    }
}

/// Where `message` asks to go, if it is a move: all that is worth keeping of it while
/// disconnected.
pub(super) fn wanted_position(message: &ClientMessage) -> Option<Position> {
    match message {
        ClientMessage::PresenceUpdate(p) => Some(p.position),
        ClientMessage::MoveIntent(m) => Some(m.position),
        _ => None,
    }
}
