//! Objects: locks on `single` objects, first come first served; linked objects (a computer
//! needs its chair); and every release path: `INTERACT_END`, moving away, changing zone,
//! disconnecting, and 10 s without presence.

use uuid::Uuid;

use super::WorldServer;
use super::convert::wire_user_id;
use crate::clock::Now;
use crate::world::map::{InteractionAction, ObjectId, Occupancy};
use crate::world::wire::{
    self, AvatarState, DenyReason, ErrorCode, InteractAction, InteractDenied, InteractGranted,
    LockId, ObjectOccupied, ObjectReleased, ServerMessage,
};

impl WorldServer {
    pub(super) fn on_interact(&mut self, now: Now, user: Uuid, request: wire::InteractRequest) {
        let Some(member) = self.members.get(&user) else {
            return;
        };
        let (conn, zone, position) = (member.conn, member.zone.clone(), member.position);
        let Some(object) = self.world.object(request.object_id.as_str()) else {
            self.error(
                conn,
                ErrorCode::ObjectNotFound,
                "no such object",
                super::detail("object_id", request.object_id.as_str()),
            );
            return;
        };
        let deny = |reason| {
            ServerMessage::InteractDenied(InteractDenied {
                object_id: request.object_id.clone(),
                reason,
            })
        };
        let matches_action = object
            .interaction
            .as_ref()
            .is_some_and(|i| same_action(i.action, request.action));
        let near = (object.position.x - position.x).hypot(object.position.y - position.y)
            <= self.config.reach;
        let in_zone = self
            .world
            .zone_at(object.position.x, object.position.y)
            .is_some_and(|z| z.id == zone);
        if !matches_action || !near || !in_zone {
            self.send(conn, deny(DenyReason::Invalid));
            return;
        }
        // A linked object that this one requires (the chair of a computer) must be held first.
        let requires = object.interaction.as_ref().and_then(|i| i.requires.clone());
        if let Some(required) = requires
            && self
                .locks
                .held_by(user)
                .iter()
                .all(|l| l.object != required)
        {
            self.send(conn, deny(DenyReason::Unauthorized));
            return;
        }
        let exclusive = object.occupancy == Occupancy::Single;
        let object_id = object.id.clone();
        let sits = request.action == InteractAction::Sit;
        match self
            .locks
            .acquire(&object_id, user, exclusive, Uuid::new_v4())
        {
            Err(_) => self.send(conn, deny(DenyReason::Occupied)),
            Ok(lock) => {
                self.send(
                    conn,
                    ServerMessage::InteractGranted(InteractGranted {
                        object_id: request.object_id.clone(),
                        lock_id: LockId::new(lock.lock_id.to_string()),
                    }),
                );
                let occupied = ServerMessage::ObjectOccupied(ObjectOccupied {
                    object_id: request.object_id,
                    user_id: wire_user_id(user),
                });
                self.broadcast_zone(&zone, Some(user), &occupied);
                if let Some(member) = self.members.get_mut(&user) {
                    member.heard_at = now.instant;
                    if sits {
                        member.state = AvatarState::Sitting;
                        self.presence.mark(&zone, user);
                    }
                }
            }
        }
    }

    pub(super) fn on_interact_end(&mut self, user: Uuid, end: wire::InteractEnd) {
        let Some(conn) = self.members.get(&user).map(|m| m.conn) else {
            return;
        };
        let object = ObjectId::new(end.object_id.as_str());
        let lock = Uuid::parse_str(end.lock_id.as_str()).ok().filter(|id| {
            self.locks
                .held_by(user)
                .iter()
                .any(|l| l.lock_id == *id && l.object == object)
        });
        let Some(lock_id) = lock else {
            self.error(
                conn,
                ErrorCode::InvalidRequest,
                "you hold no such lock",
                super::detail("lock_id", end.lock_id.as_str()),
            );
            return;
        };
        self.locks.release(&object, lock_id);
        self.announce_release(user, &object);
        // What needed this object (the computer at this chair) goes with it.
        let dependents: Vec<ObjectId> = self
            .locks
            .held_by(user)
            .iter()
            .filter(|l| {
                self.world
                    .object(l.object.as_str())
                    .and_then(|o| o.interaction.as_ref())
                    .and_then(|i| i.requires.as_ref())
                    == Some(&object)
            })
            .map(|l| l.object.clone())
            .collect();
        for dependent in dependents {
            self.locks
                .release_where(|l| l.holder == user && l.object == dependent);
            self.announce_release(user, &dependent);
        }
        self.stand_up_if_free(user);
    }

    /// Releases every lock of `user` (zone change, disconnect).
    pub(super) fn release_locks_of(&mut self, user: Uuid) {
        for lock in self.locks.release_all(user) {
            self.announce_release(user, &lock.object);
        }
        self.stand_up_if_free(user);
    }

    /// Releases the locks on objects `user` walked away from.
    pub(super) fn release_locks_out_of_reach(&mut self, user: Uuid) {
        let Some(member) = self.members.get(&user) else {
            return;
        };
        let (x, y) = (member.position.x, member.position.y);
        // Half a tile of slack so standing up from a chair does not drop the lock at once.
        let keep = self.config.reach + 0.5;
        let world = &self.world;
        let released = self.locks.release_where(|l| {
            l.holder == user
                && world
                    .object(l.object.as_str())
                    .is_none_or(|o| (o.position.x - x).hypot(o.position.y - y) > keep)
        });
        for lock in released {
            self.announce_release(user, &lock.object);
        }
    }

    /// Releases the locks of holders silent for longer than the lock timeout.
    pub(super) fn expire_locks(&mut self, now: Now) {
        let timeout = self.config.lock_timeout;
        let silent: Vec<Uuid> = self
            .members
            .values()
            .filter(|m| now.instant.saturating_duration_since(m.heard_at) >= timeout)
            .map(|m| m.id)
            .filter(|u| !self.locks.held_by(*u).is_empty())
            .collect();
        for user in silent {
            self.release_locks_of(user);
        }
    }

    /// Tells the holder's zone (the holder included) that `object` is free.
    fn announce_release(&mut self, user: Uuid, object: &ObjectId) {
        let Some(zone) = self.members.get(&user).map(|m| m.zone.clone()) else {
            return;
        };
        let released = ServerMessage::ObjectReleased(ObjectReleased {
            object_id: wire::ObjectId::new(object.as_str()),
            user_id: wire_user_id(user),
        });
        self.broadcast_zone(&zone, None, &released);
    }

    fn stand_up_if_free(&mut self, user: Uuid) {
        let seated = self.locks.held_by(user).iter().any(|l| {
            self.world
                .object(l.object.as_str())
                .and_then(|o| o.interaction.as_ref())
                .is_some_and(|i| i.action == InteractionAction::Sit)
        });
        if let Some(member) = self.members.get_mut(&user)
            && !seated
            && member.state == AvatarState::Sitting
        {
            member.state = AvatarState::Idle;
            let zone = member.zone.clone();
            self.presence.mark(&zone, user);
        }
    }
}

fn same_action(object: InteractionAction, requested: InteractAction) -> bool {
    matches!(
        (object, requested),
        (InteractionAction::Sit, InteractAction::Sit)
            | (InteractionAction::Use, InteractAction::Use)
            | (InteractionAction::Attach, InteractAction::Attach)
    )
}
