//! Movement: every position a client reports is checked against the map bounds, walls, doors
//! and a speed limit; a bad one is answered at once with `POSITION_CORRECTION`. Accepted moves
//! may cross into another zone and are broadcast to the zone at 10 Hz.

use std::time::Duration;

use uuid::Uuid;

use super::WorldServer;
use crate::clock::Now;
use crate::world::map::Blocked;
use crate::world::wire::{
    self, AvatarState, CorrectionReason, ErrorCode, Facing, Position, PositionCorrection,
    PresenceBroadcast, ServerMessage,
};

/// Extra distance allowed over the speed limit, for network jitter.
const SPEED_SLACK_TILES: f64 = 1.0;
/// Shortest interval used for the speed check (two updates in one batch are not infinitely fast).
const MIN_INTERVAL: Duration = Duration::from_millis(50);

impl WorldServer {
    pub(super) fn on_presence(&mut self, now: Now, user: Uuid, update: wire::PresenceUpdate) {
        self.try_move(
            now,
            user,
            update.position,
            Some(update.facing),
            Some(update.state),
            None,
        );
    }

    pub(super) fn on_move_intent(&mut self, now: Now, user: Uuid, intent: wire::MoveIntent) {
        self.try_move(
            now,
            user,
            intent.position,
            None,
            Some(AvatarState::Walking),
            None,
        );
    }

    pub(super) fn on_zone_transition(
        &mut self,
        now: Now,
        user: Uuid,
        request: wire::ZoneTransition,
    ) {
        let Some(member) = self.members.get(&user) else {
            return;
        };
        let conn = member.conn;
        if request.from_zone_id.as_str() != member.zone.as_str() {
            self.error(
                conn,
                ErrorCode::InvalidRequest,
                "from_zone_id is not your current zone",
                super::detail("current_zone_id", member.zone.as_str()),
            );
            return;
        }
        if self.world.zone(request.to_zone_id.as_str()).is_none() {
            self.error(
                conn,
                ErrorCode::ZoneNotFound,
                "no such zone",
                super::detail("zone_id", request.to_zone_id.as_str()),
            );
            return;
        }
        self.try_move(
            now,
            user,
            request.position,
            None,
            None,
            Some(request.to_zone_id),
        );
    }

    /// Validates and applies a move; `expected_zone` is where an explicit transition says the
    /// position lies.
    fn try_move(
        &mut self,
        now: Now,
        user: Uuid,
        to: Position,
        facing: Option<Facing>,
        state: Option<AvatarState>,
        expected_zone: Option<wire::ZoneId>,
    ) {
        let Some(member) = self.members.get_mut(&user) else {
            return;
        };
        member.heard_at = now.instant;
        let from = member.position;
        let roles = member.roles.clone();
        let elapsed = now
            .instant
            .saturating_duration_since(member.moved_at)
            .max(MIN_INTERVAL);
        let verdict = if !to.x.is_finite() || !to.y.is_finite() {
            Err(CorrectionReason::Invalid)
        } else if let Err(blocked) =
            self.world
                .segment_clear((from.x, from.y), (to.x, to.y), &roles)
        {
            Err(match blocked {
                Blocked::OutOfBounds => CorrectionReason::Invalid,
                Blocked::Collision { .. } | Blocked::DoorLocked { .. } => {
                    CorrectionReason::Collision
                }
            })
        } else if distance(from, to)
            > self.config.max_speed * elapsed.as_secs_f64() + SPEED_SLACK_TILES
        {
            Err(CorrectionReason::Invalid)
        } else {
            Ok(())
        };
        let target_zone = self.world.zone_at(to.x, to.y).map(|z| z.id.clone());
        let verdict = verdict.and_then(|()| match (&target_zone, &expected_zone) {
            (None, _) => Err(CorrectionReason::Invalid),
            (Some(zone), Some(expected)) if zone.as_str() != expected.as_str() => {
                Err(CorrectionReason::Invalid)
            }
            (Some(zone), _)
                if self.members.get(&user).is_some_and(|m| &m.zone != zone)
                    && !self.zone_has_room(zone) =>
            {
                Err(CorrectionReason::Occupied)
            }
            _ => Ok(()),
        });
        if let Err(reason) = verdict {
            self.correct(user, reason);
            return;
        }
        let Some(member) = self.members.get_mut(&user) else {
            return;
        };
        member.position = to;
        member.moved_at = now.instant;
        if let Some(facing) = facing {
            member.facing = facing;
        }
        if let Some(state) = state {
            member.state = state;
        }
        let zone_now = member.zone.clone();
        self.release_locks_out_of_reach(user);
        match target_zone {
            Some(zone) if zone != zone_now => self.transition(now, user, &zone),
            _ => self.presence.mark(&zone_now, user),
        }
    }

    /// Tells the user where the server has it, and why its move was refused.
    fn correct(&mut self, user: Uuid, reason: CorrectionReason) {
        let Some(member) = self.members.get(&user) else {
            return;
        };
        let message = ServerMessage::PositionCorrection(PositionCorrection {
            correct_position: member.position,
            reason,
        });
        let conn = member.conn;
        self.send(conn, message);
    }

    /// Sends the coalesced presence of every moved user to its zone.
    pub(super) fn flush_presence(&mut self, now: Now) {
        for (zone, users) in self.presence.take_due(now.instant) {
            for user in users {
                let Some(member) = self.members.get(&user).filter(|m| m.zone == zone) else {
                    continue;
                };
                let message = ServerMessage::PresenceBroadcast(PresenceBroadcast {
                    user_id: member.user.user_id.clone(),
                    position: member.position,
                    facing: member.facing,
                    state: member.state,
                });
                self.broadcast_zone(&zone, Some(user), &message);
            }
        }
    }
}

fn distance(a: Position, b: Position) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}
