//! Who talks to whom and how (SPEC section 6): the media topology of each zone type and the
//! promotion rule for group zones.

use crate::world::map::ZoneType;

/// Users in a P2P group zone before it moves to the SFU.
pub const P2P_GROUP_MAX: usize = 8;

/// How a zone's audio flows right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneMedia {
    /// Proximity audio, peer to peer (OpenArea).
    Proximity,
    /// One group, peer to peer (TeamArea, PrivateRoom before promotion).
    P2pGroup,
    /// Everyone on the SFU (MeetingRoom, or a promoted group zone until it empties).
    Sfu,
}

/// The zone's media given its type and whether it was promoted.
pub fn zone_media(zone_type: ZoneType, promoted: bool) -> ZoneMedia {
    match zone_type {
        ZoneType::OpenArea => ZoneMedia::Proximity,
        ZoneType::MeetingRoom => ZoneMedia::Sfu,
        ZoneType::TeamArea | ZoneType::PrivateRoom if promoted => ZoneMedia::Sfu,
        ZoneType::TeamArea | ZoneType::PrivateRoom => ZoneMedia::P2pGroup,
    }
}

/// Whether a P2P group zone must move to the SFU: more than 8 users, or more than 30% of them
/// needed TURN.
pub fn should_promote(zone_type: ZoneType, users: usize, turn_users: usize) -> bool {
    matches!(zone_type, ZoneType::TeamArea | ZoneType::PrivateRoom)
        && (users > P2P_GROUP_MAX || turn_users * 10 > users * 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meeting_rooms_are_always_on_the_sfu_and_open_areas_never() {
        assert_eq!(zone_media(ZoneType::MeetingRoom, false), ZoneMedia::Sfu);
        assert_eq!(zone_media(ZoneType::OpenArea, true), ZoneMedia::Proximity);
        assert!(
            !should_promote(ZoneType::OpenArea, 50, 50),
            "an open area is never promoted"
        );
        assert!(
            !should_promote(ZoneType::MeetingRoom, 16, 0),
            "a meeting room needs no promotion"
        );
    }

    #[test]
    fn group_zones_promote_above_eight_users_or_thirty_percent_turn() {
        for zone in [ZoneType::TeamArea, ZoneType::PrivateRoom] {
            assert!(!should_promote(zone, 8, 0), "8 users stay P2P");
            assert!(should_promote(zone, 9, 0), "the ninth user promotes");
            assert!(!should_promote(zone, 8, 2), "25% TURN stays P2P");
            assert!(!should_promote(zone, 0, 0), "an empty zone stays P2P");
            assert!(should_promote(zone, 6, 2), "2 of 6 is over 30%");
            assert_eq!(zone_media(zone, true), ZoneMedia::Sfu);
            assert_eq!(zone_media(zone, false), ZoneMedia::P2pGroup);
        }
    }
}
