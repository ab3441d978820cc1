//! Domain values to wire values, and the id mappings between the world and the SFU.

use uuid::Uuid;

use super::{Member, WorldServer};
use crate::ids::{ChannelId, UserId, sfu_id_from_uuid_bytes};
use crate::world::map::{self, ZoneId, ZoneType};
use crate::world::wire;

impl From<ZoneType> for wire::ZoneType {
    fn from(t: ZoneType) -> Self {
        match t {
            ZoneType::OpenArea => Self::OpenArea,
            ZoneType::TeamArea => Self::TeamArea,
            ZoneType::MeetingRoom => Self::MeetingRoom,
            ZoneType::PrivateRoom => Self::PrivateRoom,
        }
    }
}

/// The SFU id of a world user (SPEC section 2).
pub fn sfu_user(user: Uuid) -> UserId {
    UserId(sfu_id_from_uuid_bytes(user.as_bytes()))
}

/// The SFU channel of a zone: its id mapped like a user id when it is a UUID, otherwise a
/// name-based UUID (v5) of the zone id in the world's namespace, mapped the same way.
pub fn zone_channel(world: map::WorldId, zone: &ZoneId) -> ChannelId {
    let uuid = Uuid::parse_str(zone.as_str())
        .unwrap_or_else(|_| Uuid::new_v5(&Uuid::from_bytes(world.0), zone.as_str().as_bytes()));
    ChannelId(sfu_id_from_uuid_bytes(uuid.as_bytes()))
}

pub fn wire_user_id(user: Uuid) -> wire::WorldUserId {
    wire::WorldUserId::new(user.to_string())
}

pub fn wire_zone_id(zone: &ZoneId) -> wire::ZoneId {
    wire::ZoneId::new(zone.as_str())
}

impl WorldServer {
    pub(super) fn wire_world_id(&self) -> wire::WorldId {
        wire::WorldId::new(self.world.id().to_string())
    }

    pub(super) fn wire_zone(&self, zone: &ZoneId) -> wire::Zone {
        let zone_type = self
            .world
            .zone(zone.as_str())
            .map_or(wire::ZoneType::OpenArea, |z| z.zone_type.into());
        wire::Zone {
            zone_id: wire_zone_id(zone),
            zone_type,
            world_id: self.wire_world_id(),
        }
    }

    pub(super) fn peer_state(member: &Member) -> wire::PeerState {
        wire::PeerState {
            user: member.user.clone(),
            position: member.position,
            facing: member.facing,
            state: member.state,
            zone_id: wire_zone_id(&member.zone),
        }
    }

    /// The states of everyone in `zone` except `except`, in a stable order.
    pub(super) fn zone_snapshot(
        &self,
        zone: &ZoneId,
        except: Option<Uuid>,
    ) -> Vec<wire::PeerState> {
        self.zones
            .get(zone)
            .map(|z| {
                z.users
                    .iter()
                    .filter(|u| Some(**u) != except)
                    .filter_map(|u| self.members.get(u))
                    .map(Self::peer_state)
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zone_channels_are_stable_positive_and_distinct() {
        let world = map::World::demo().id();
        let team = zone_channel(world, &ZoneId::new("team-area"));
        assert_eq!(
            team,
            zone_channel(world, &ZoneId::new("team-area")),
            "stable"
        );
        assert!(team.0 > 0);
        assert_ne!(team, zone_channel(world, &ZoneId::new("meeting-room")));
        let uuid_zone = ZoneId::new("00000000-0000-0001-0000-000000000000");
        assert_eq!(
            zone_channel(world, &uuid_zone),
            ChannelId(1),
            "UUID zone ids map like user ids"
        );
    }
}
