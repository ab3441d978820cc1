//! Entering and leaving zones: peer discovery, snapshots, the topology of each zone, and
//! promotion to the SFU with a per-user token.

use uuid::Uuid;

use super::convert::{sfu_user, wire_user_id, wire_zone_id, zone_channel};
use super::topology::{ZoneMedia, should_promote, zone_media};
use super::{WorldEvent, WorldOutput, WorldServer};
use crate::auth::{SfuTokenRequest, mint_sfu_token};
use crate::clock::Now;
use crate::world::map::ZoneId;
use crate::world::wire::{
    self, ErrorCode, MediaTopology, PeerJoined, PeerLeft, PromoteToSfu, ServerMessage,
    ZoneTransitioned,
};

/// Lifetime of the SFU tokens handed out with `PROMOTE_TO_SFU`.
const SFU_TOKEN_TTL_SECS: u64 = 600;

impl WorldServer {
    /// How `zone`'s audio flows now.
    pub(super) fn media_of(&self, zone: &ZoneId) -> ZoneMedia {
        let promoted = self.zones.get(zone).is_some_and(|z| z.promoted);
        self.world
            .zone(zone.as_str())
            .map_or(ZoneMedia::Proximity, |z| zone_media(z.zone_type, promoted))
    }

    /// The topology `user` sees in `zone`.
    pub(super) fn topology_for(&self, user: Uuid, zone: &ZoneId) -> MediaTopology {
        match self.media_of(zone) {
            ZoneMedia::Sfu => MediaTopology::Sfu,
            _ if self.members.get(&user).is_some_and(|m| m.used_turn) => MediaTopology::P2pTurn,
            _ => MediaTopology::P2pDirect,
        }
    }

    /// Whether `zone` has room for one more user.
    pub(super) fn zone_has_room(&self, zone: &ZoneId) -> bool {
        let users = self.zones.get(zone).map_or(0, |z| z.users.len());
        self.world
            .zone(zone.as_str())
            .is_some_and(|z| users < self.world.zone_capacity(z) as usize)
    }

    /// Adds `user` to `zone`: the others learn of it, and it joins the SFU when the zone is there
    /// (which this user may have just caused).
    pub(super) fn enter_zone(&mut self, now: Now, user: Uuid, zone: &ZoneId) {
        let Some(member) = self.members.get(&user) else {
            return;
        };
        let joined = ServerMessage::PeerJoined(PeerJoined {
            user: member.user.clone(),
            position: member.position,
        });
        let muted = member.muted_until.is_some();
        self.zones
            .entry(zone.clone())
            .or_default()
            .users
            .insert(user);
        self.broadcast_zone(zone, Some(user), &joined);
        self.outputs
            .push_back(WorldOutput::Event(WorldEvent::ZoneChanged {
                user,
                zone: zone.clone(),
            }));
        if self.media_of(zone) == ZoneMedia::Sfu {
            self.send_promotion(now, user, zone);
            if muted {
                self.mute_on_sfu(user, zone, true);
            }
        } else {
            self.maybe_promote(now, zone);
        }
    }

    /// Removes `user` from `zone`: the others learn it left; an emptied zone leaves the SFU.
    pub(super) fn exit_zone(&mut self, user: Uuid, zone: &ZoneId) {
        let on_sfu = self.media_of(zone) == ZoneMedia::Sfu;
        if on_sfu
            && self
                .members
                .get(&user)
                .is_some_and(|m| m.muted_until.is_some())
        {
            self.mute_on_sfu(user, zone, false);
        }
        self.presence.forget(user);
        if let Some(member) = self.members.get_mut(&user) {
            member.sfu_connected = false;
        }
        let Some(state) = self.zones.get_mut(zone) else {
            return;
        };
        state.users.remove(&user);
        state.turn_users.remove(&user);
        let emptied = state.users.is_empty();
        if emptied && state.promoted {
            state.promoted = false;
            self.outputs
                .push_back(WorldOutput::Event(WorldEvent::Demoted {
                    zone: zone.clone(),
                }));
        }
        let left = ServerMessage::PeerLeft(PeerLeft {
            user_id: wire_user_id(user),
        });
        self.broadcast_zone(zone, None, &left);
    }

    /// Moves `user` into `to` (already checked to have room): locks released, both zones told,
    /// the user gets `ZONE_TRANSITIONED` and, in an SFU zone, `PROMOTE_TO_SFU` right after.
    pub(super) fn transition(&mut self, now: Now, user: Uuid, to: &ZoneId) {
        let Some(from) = self.members.get(&user).map(|m| m.zone.clone()) else {
            return;
        };
        self.release_locks_of(user);
        // Leaving a promoted zone leaves its SFU channel (and revokes the promotion token there).
        self.end_sfu_media(user, &from, "left the zone");
        self.exit_zone(user, &from);
        if let Some(member) = self.members.get_mut(&user) {
            member.zone = to.clone();
        }
        let message = ServerMessage::ZoneTransitioned(ZoneTransitioned {
            zone: self.wire_zone(to),
            presence_snapshot: self.zone_snapshot(to, Some(user)),
            media_topology: {
                // The topology after this user's arrival, which may promote the zone.
                let users = self.zones.get(to).map_or(0, |z| z.users.len()) + 1;
                let turn = self.zones.get(to).map_or(0, |z| z.turn_users.len());
                let will_promote = self
                    .world
                    .zone(to.as_str())
                    .is_some_and(|z| should_promote(z.zone_type, users, turn));
                if will_promote {
                    MediaTopology::Sfu
                } else {
                    self.topology_for(user, to)
                }
            },
        });
        self.send_to_user(user, message);
        self.enter_zone(now, user, to);
    }

    /// Promotes a P2P group zone that crossed a threshold; every user gets its own token.
    pub(super) fn maybe_promote(&mut self, now: Now, zone: &ZoneId) {
        let Some(zone_type) = self.world.zone(zone.as_str()).map(|z| z.zone_type) else {
            return;
        };
        let Some(state) = self.zones.get_mut(zone) else {
            return;
        };
        if state.promoted || !should_promote(zone_type, state.users.len(), state.turn_users.len()) {
            return;
        }
        state.promoted = true;
        let users: Vec<Uuid> = state.users.iter().copied().collect();
        self.outputs
            .push_back(WorldOutput::Event(WorldEvent::Promoted {
                zone: zone.clone(),
                users: users.len(),
            }));
        for user in users {
            self.send_promotion(now, user, zone);
            if self
                .members
                .get(&user)
                .is_some_and(|m| m.muted_until.is_some())
            {
                self.mute_on_sfu(user, zone, true);
            }
        }
    }

    /// Sends `user` a `PROMOTE_TO_SFU` for `zone` with a token whose perms follow its roles.
    pub(super) fn send_promotion(&mut self, now: Now, user: Uuid, zone: &ZoneId) {
        let Some(member) = self.members.get(&user) else {
            return;
        };
        let channel = zone_channel(self.world.id(), zone);
        let request = SfuTokenRequest {
            user: sfu_user(user),
            channel,
            perms: crate::roles::sfu_permissions(&member.roles),
            moved: false,
            ttl_secs: SFU_TOKEN_TTL_SECS,
        };
        let token = mint_sfu_token(
            &self.config.sfu_secret,
            &self.config.sfu_issuer,
            &request,
            now.unix_secs(),
        );
        let sfu_url = self
            .connections
            .get(&member.conn)
            .and_then(|c| c.sfu_url.clone())
            .unwrap_or_else(|| self.config.sfu_url.clone());
        let message = ServerMessage::PromoteToSfu(PromoteToSfu {
            sfu_url,
            sfu_token: token,
            zone_id: wire_zone_id(zone),
            channel_id: Some(channel),
        });
        self.send_to_user(user, message);
    }

    /// Asks the SFU to server-mute (or unmute) `user` in `zone`'s channel.
    pub(super) fn mute_on_sfu(&mut self, user: Uuid, zone: &ZoneId, muted: bool) {
        self.outputs.push_back(WorldOutput::SfuMute {
            user: sfu_user(user),
            channel: zone_channel(self.world.id(), zone),
            muted,
        });
    }

    pub(super) fn on_sfu_connected(&mut self, user: Uuid, connected: wire::SfuConnected) {
        let Some(member) = self.members.get(&user) else {
            return;
        };
        let zone = member.zone.clone();
        if connected.zone_id.as_str() != zone.as_str() || self.media_of(&zone) != ZoneMedia::Sfu {
            let conn = member.conn;
            self.error(
                conn,
                ErrorCode::InvalidRequest,
                "SFU_CONNECTED for a zone you are not in, or not on the SFU",
                super::detail("zone_id", connected.zone_id.as_str()),
            );
            return;
        }
        if let Some(member) = self.members.get_mut(&user) {
            member.sfu_connected = true;
        }
    }

    /// The client lost the SFU: it gets a fresh promotion while its zone is still there.
    pub(super) fn on_sfu_disconnected(
        &mut self,
        now: Now,
        user: Uuid,
        lost: wire::SfuDisconnected,
    ) {
        let Some(member) = self.members.get_mut(&user) else {
            return;
        };
        member.sfu_connected = false;
        let zone = member.zone.clone();
        if lost.zone_id.as_str() == zone.as_str() && self.media_of(&zone) == ZoneMedia::Sfu {
            self.send_promotion(now, user, &zone);
        }
    }
}
