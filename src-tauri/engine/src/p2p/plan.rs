//! Who this user should have a direct connection to, from where everyone stands (SPEC section
//! 6, "Who talks to whom"): in an open area everyone within the audio radius, in a team area or
//! private room on P2P the whole zone, on the SFU nobody.

use std::collections::BTreeSet;

use sfu_core::world::wire::{MediaTopology, Position, WorldUserId, ZoneType};

use crate::audio::ProximityCurve;

/// How far voices carry in an open area.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AudioRange {
    /// Volume by distance (full within 5 tiles, silent beyond 6 by default).
    pub curve: ProximityCurve,
    /// Extra distance, in tiles, a connected peer may walk past the radius before the connection
    /// closes, so someone pacing at the edge does not connect and disconnect every step.
    pub hysteresis: f64,
}

impl Default for AudioRange {
    fn default() -> Self {
        Self {
            curve: ProximityCurve::default(),
            hysteresis: 1.0,
        }
    }
}

impl AudioRange {
    /// Within this distance a connection opens: the radius where the voice falls silent.
    pub fn radius(&self) -> f64 {
        self.curve.silent_beyond
    }
}

/// The zone this user is in, as far as media cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneMedia {
    pub zone_type: ZoneType,
    pub topology: MediaTopology,
}

impl ZoneMedia {
    /// Whether the zone's audio goes through the SFU.
    pub fn on_sfu(&self) -> bool {
        self.topology == MediaTopology::Sfu || self.zone_type == ZoneType::MeetingRoom
    }

    /// Whether voices fade with distance (open areas).
    pub fn proximity(&self) -> bool {
        self.zone_type == ZoneType::OpenArea
    }
}

/// Distance between two points in tiles.
pub fn distance(a: Position, b: Position) -> f64 {
    (a.x - b.x).hypot(a.y - b.y)
}

/// The peers to be connected to. `connected` are the current connections (they get the
/// hysteresis).
pub fn wanted_peers<'a>(
    zone: ZoneMedia,
    me: Position,
    peers: impl Iterator<Item = (&'a WorldUserId, Position)>,
    connected: &BTreeSet<WorldUserId>,
    range: &AudioRange,
) -> BTreeSet<WorldUserId> {
    if zone.on_sfu() {
        return BTreeSet::new();
    }
    peers
        .filter(|(id, at)| {
            if !zone.proximity() {
                return true;
            }
            let reach = if connected.contains(*id) {
                range.radius() + range.hysteresis
            } else {
                range.radius()
            };
            distance(me, *at) <= reach
        })
        .map(|(id, _)| id.clone())
        .collect()
}

/// Who offers first on a new connection: the user with the smaller id. Both sides know it
/// without talking, so a new pair never makes offers at each other; the other side is polite
/// in perfect negotiation.
pub fn offers_first(me: &WorldUserId, peer: &WorldUserId) -> bool {
    me.as_str() < peer.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(x: f64, y: f64) -> Position {
        Position { x, y }
    }

    fn open() -> ZoneMedia {
        ZoneMedia {
            zone_type: ZoneType::OpenArea,
            topology: MediaTopology::P2pDirect,
        }
    }

    #[test]
    fn open_area_connects_within_the_radius_and_keeps_a_margin() {
        let (near, edge, far) = (
            WorldUserId::new("near"),
            WorldUserId::new("edge"),
            WorldUserId::new("far"),
        );
        let peers = [
            (&near, at(3.0, 0.0)),
            (&edge, at(6.5, 0.0)),
            (&far, at(20.0, 0.0)),
        ];
        let range = AudioRange::default();
        let none = BTreeSet::new();
        let wanted = wanted_peers(open(), at(0.0, 0.0), peers.into_iter(), &none, &range);
        assert_eq!(
            wanted,
            BTreeSet::from([near.clone()]),
            "6.5 tiles is beyond 6"
        );
        let connected = BTreeSet::from([edge.clone()]);
        let wanted = wanted_peers(open(), at(0.0, 0.0), peers.into_iter(), &connected, &range);
        assert_eq!(
            wanted,
            BTreeSet::from([near, edge]),
            "an open connection survives up to 7 tiles"
        );
    }

    #[test]
    fn groups_connect_everyone_and_the_sfu_no_one() {
        let (a, b) = (WorldUserId::new("a"), WorldUserId::new("b"));
        let peers = [(&a, at(1.0, 0.0)), (&b, at(40.0, 0.0))];
        let none = BTreeSet::new();
        let range = AudioRange::default();
        let team = ZoneMedia {
            zone_type: ZoneType::TeamArea,
            topology: MediaTopology::P2pDirect,
        };
        assert_eq!(
            wanted_peers(team, at(0.0, 0.0), peers.into_iter(), &none, &range).len(),
            2
        );
        let promoted = ZoneMedia {
            topology: MediaTopology::Sfu,
            ..team
        };
        assert!(wanted_peers(promoted, at(0.0, 0.0), peers.into_iter(), &none, &range).is_empty());
        let meeting = ZoneMedia {
            zone_type: ZoneType::MeetingRoom,
            topology: MediaTopology::P2pDirect,
        };
        assert!(meeting.on_sfu(), "a meeting room is always on the SFU");
    }

    #[test]
    fn exactly_one_side_offers_first() {
        let (a, b) = (WorldUserId::new("a"), WorldUserId::new("b"));
        assert!(offers_first(&a, &b));
        assert!(!offers_first(&b, &a));
    }
}
