//! Moderation by role (Admin and Editor may mute; only Admin may remove from a zone or kick):
//! mutes with a duration enforced on the SFU, removal to an open-area spawn point, and kicks
//! that close the world socket and end the user's SFU media.

use std::time::Duration;

use uuid::Uuid;

use super::convert::{sfu_user, wire_user_id, zone_channel};
use super::topology::ZoneMedia;
use super::{WorldOutput, WorldServer, detail};
use crate::clock::Now;
use crate::roles::{may_kick, may_mute, may_remove_from_zone};
use crate::world::wire::{
    self, CorrectionReason, ErrorCode, ErrorPayload, PositionCorrection, ServerMessage, UserMuted,
};

/// Longest mute a moderator can set (a day).
const MAX_MUTE: Duration = Duration::from_secs(24 * 3600);

impl WorldServer {
    /// The target of a moderation request, if the actor may act; otherwise the refusal is sent.
    fn moderation_target(
        &mut self,
        actor: Uuid,
        allowed: bool,
        action: &str,
        target: &wire::WorldUserId,
    ) -> Option<Uuid> {
        let conn = self.members.get(&actor)?.conn;
        if !allowed {
            self.error(
                conn,
                ErrorCode::PermissionDenied,
                &format!("your role may not {action}"),
                detail("action", action),
            );
            return None;
        }
        let found = Uuid::parse_str(target.as_str())
            .ok()
            .filter(|t| self.members.contains_key(t));
        if found.is_none() {
            self.error(
                conn,
                ErrorCode::InvalidRequest,
                "no such user in the world",
                detail("target_user_id", target.as_str()),
            );
        }
        found
    }

    pub(super) fn on_mute(&mut self, now: Now, actor: Uuid, request: wire::MuteUser) {
        let allowed = self.members.get(&actor).is_some_and(|m| may_mute(&m.roles));
        let Some(target) =
            self.moderation_target(actor, allowed, "mute users", &request.target_user_id)
        else {
            return;
        };
        let duration = Duration::from_secs(request.duration).min(MAX_MUTE);
        if duration.is_zero() {
            self.lift_mute(target, Some(actor));
            return;
        }
        let Some(member) = self.members.get_mut(&target) else {
            return;
        };
        let already = member.muted_until.is_some();
        member.muted_until = Some(now.instant + duration);
        let zone = member.zone.clone();
        let notice = ServerMessage::UserMuted(UserMuted {
            user_id: wire_user_id(target),
            muted: true,
            duration: Some(duration.as_secs()),
            by: Some(wire_user_id(actor)),
        });
        self.broadcast_zone(&zone, None, &notice);
        if !already && self.media_of(&zone) == ZoneMedia::Sfu {
            self.mute_on_sfu(target, &zone, true);
        }
    }

    /// Ends mutes whose time is up.
    pub(super) fn expire_mutes(&mut self, now: Now) {
        let due: Vec<Uuid> = self
            .members
            .values()
            .filter(|m| m.muted_until.is_some_and(|t| t <= now.instant))
            .map(|m| m.id)
            .collect();
        for user in due {
            self.lift_mute(user, None);
        }
    }

    fn lift_mute(&mut self, user: Uuid, by: Option<Uuid>) {
        let Some(member) = self.members.get_mut(&user) else {
            return;
        };
        if member.muted_until.take().is_none() {
            return;
        }
        let zone = member.zone.clone();
        let notice = ServerMessage::UserMuted(UserMuted {
            user_id: wire_user_id(user),
            muted: false,
            duration: None,
            by: by.map(wire_user_id),
        });
        self.broadcast_zone(&zone, None, &notice);
        if self.media_of(&zone) == ZoneMedia::Sfu {
            self.mute_on_sfu(user, &zone, false);
        }
    }

    pub(super) fn on_remove_from_zone(
        &mut self,
        now: Now,
        actor: Uuid,
        request: wire::RemoveFromZone,
    ) {
        let allowed = self
            .members
            .get(&actor)
            .is_some_and(|m| may_remove_from_zone(&m.roles));
        let Some(target) = self.moderation_target(
            actor,
            allowed,
            "remove users from zones",
            &request.target_user_id,
        ) else {
            return;
        };
        let Some(zone) = self.members.get(&target).map(|m| m.zone.clone()) else {
            return;
        };
        if zone.as_str() != request.zone_id.as_str() {
            if let Some(conn) = self.members.get(&actor).map(|m| m.conn) {
                self.error(
                    conn,
                    ErrorCode::InvalidRequest,
                    "the user is not in that zone",
                    detail("zone_id", request.zone_id.as_str()),
                );
            }
            return;
        }
        let spawn = self.world.open_area_spawn().position;
        let Some(spawn_zone) = self.world.zone_at(spawn.x, spawn.y).map(|z| z.id.clone()) else {
            return;
        };
        self.end_sfu_media(target, &zone, "removed from zone");
        let position = wire::Position::new(spawn.x, spawn.y);
        if let Some(member) = self.members.get_mut(&target) {
            member.position = position;
            member.moved_at = now.instant;
            let conn = member.conn;
            self.send(
                conn,
                ServerMessage::PositionCorrection(PositionCorrection {
                    correct_position: position,
                    reason: CorrectionReason::Invalid,
                }),
            );
        }
        if spawn_zone == zone {
            self.presence.mark(&zone, target);
        } else {
            self.transition(now, target, &spawn_zone);
        }
    }

    pub(super) fn on_kick(&mut self, now: Now, actor: Uuid, request: wire::KickFromWorld) {
        let allowed = self.members.get(&actor).is_some_and(|m| may_kick(&m.roles));
        let Some(target) =
            self.moderation_target(actor, allowed, "kick users", &request.target_user_id)
        else {
            return;
        };
        if request.world_id.as_str() != self.world.id().to_string() {
            if let Some(conn) = self.members.get(&actor).map(|m| m.conn) {
                self.error(
                    conn,
                    ErrorCode::WorldNotFound,
                    "no such world on this host",
                    detail("world_id", request.world_id.as_str()),
                );
            }
            return;
        }
        let Some((conn, zone)) = self.members.get(&target).map(|m| (m.conn, m.zone.clone())) else {
            return;
        };
        let mut notice = ErrorPayload::new(
            ErrorCode::PermissionDenied,
            "you were kicked from the world",
        );
        notice.details.insert("reason".into(), "kicked".into());
        notice.details.insert("by".into(), actor.to_string().into());
        self.send(conn, ServerMessage::Error(notice));
        self.end_sfu_media(target, &zone, "kicked");
        self.close(now, conn, 4010, "kicked");
    }

    /// Ends the user's SFU media in `zone` if it may be there (the interop link delivers it).
    pub(super) fn end_sfu_media(
        &mut self,
        user: Uuid,
        zone: &crate::world::map::ZoneId,
        reason: &str,
    ) {
        let on_sfu = self.media_of(zone) == ZoneMedia::Sfu
            || self.members.get(&user).is_some_and(|m| m.sfu_connected);
        if on_sfu {
            self.outputs.push_back(WorldOutput::SfuDisconnect {
                user: sfu_user(user),
                channel: zone_channel(self.world.id(), zone),
                reason: reason.to_owned(),
            });
        }
    }
}
