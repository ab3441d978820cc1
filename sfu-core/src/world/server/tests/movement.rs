use super::*;
use crate::roles::Role;

fn corrections(messages: &[ServerMessage]) -> Vec<wire::CorrectionReason> {
    messages
        .iter()
        .filter_map(|m| match m {
            ServerMessage::PositionCorrection(c) => Some(c.reason),
            _ => None,
        })
        .collect()
}

#[test]
fn every_bad_move_is_corrected_at_once_with_its_reason() {
    let mut h = Harness::new();
    let alice = h.join(1, &[Role::Member]);
    let (x, y) = h.position(alice);
    h.advance(1000);
    h.presence(alice, -3.0, y);
    assert_eq!(
        corrections(&h.take(alice.conn)),
        vec![wire::CorrectionReason::Invalid],
        "off the map"
    );
    h.advance(1000);
    h.presence(alice, x, 31.5);
    assert_eq!(
        corrections(&h.take(alice.conn)),
        vec![wire::CorrectionReason::Collision],
        "into the border wall"
    );
    h.advance(100);
    h.presence(alice, x - 0.5, y);
    assert!(
        corrections(&h.take(alice.conn)).is_empty(),
        "half a tile in 100 ms is a walk"
    );
    h.advance(100);
    h.presence(alice, x - 5.5, y);
    assert_eq!(
        corrections(&h.take(alice.conn)),
        vec![wire::CorrectionReason::Invalid],
        "5 tiles in 100 ms is too fast"
    );
    h.presence(alice, f64::NAN, y);
    assert_eq!(
        corrections(&h.take(alice.conn)),
        vec![wire::CorrectionReason::Invalid],
        "not a number"
    );
    assert_eq!(
        h.position(alice),
        (x - 0.5, y),
        "a refused move changes nothing"
    );
    h.advance(200);
    h.presence(alice, x + 0.5, y);
    assert!(corrections(&h.take(alice.conn)).is_empty(), "a legal step");
}

#[test]
fn doors_let_only_allowed_roles_through() {
    let mut h = Harness::new();
    let member = h.join(1, &[Role::Member]);
    let admin = h.join(2, &[Role::Admin]);
    for c in [member, admin] {
        h.walk(c, 39.5, 22.5);
        h.walk(c, 39.5, 12.5);
    }
    h.advance(500);
    h.presence(member, 39.5, 10.5);
    assert_eq!(
        corrections(&h.take(member.conn)),
        vec![wire::CorrectionReason::Collision],
        "a Member may not pass the door"
    );
    h.walk(admin, 39.5, 10.5);
    assert_eq!(h.zone_of(admin), "private-room");
}

#[test]
fn presence_reaches_the_same_zone_only_coalesced_at_ten_hertz() {
    let mut h = Harness::new();
    let alice = h.join(1, &[Role::Member]);
    let bob = h.join(2, &[Role::Member]);
    let carol = h.join(3, &[Role::Member]);
    h.walk(carol, TEAM_SPOT.0, TEAM_SPOT.1);
    assert_eq!(h.zone_of(carol), "team-area");
    h.advance(1000);
    h.clear();
    let (x, y) = h.position(alice);
    for i in 1..=5 {
        h.presence(alice, x + 0.05 * f64::from(i), y);
    }
    h.advance(100);
    let to_bob: Vec<_> = h
        .take(bob.conn)
        .into_iter()
        .filter(|m| matches!(m, ServerMessage::PresenceBroadcast(_)))
        .collect();
    assert_eq!(to_bob.len(), 1, "five updates within a tick reach Bob once");
    let ServerMessage::PresenceBroadcast(latest) = &to_bob[0] else {
        unreachable!()
    };
    assert!(
        (latest.position.x - (x + 0.25)).abs() < 1e-9,
        "with the latest position"
    );
    assert!(
        !h.take(carol.conn)
            .iter()
            .any(|m| matches!(m, ServerMessage::PresenceBroadcast(_))),
        "Carol, in another zone, hears nothing of it"
    );
    assert!(
        h.take(alice.conn)
            .iter()
            .all(|m| !matches!(m, ServerMessage::PresenceBroadcast(_))),
        "nor does Alice herself"
    );
}

#[test]
fn crossing_into_a_zone_transitions_with_a_snapshot() {
    let mut h = Harness::new();
    let alice = h.join(1, &[Role::Member]);
    let bob = h.join(2, &[Role::Member]);
    h.walk(bob, TEAM_SPOT.0, TEAM_SPOT.1);
    h.clear();
    h.walk(alice, TEAM_SPOT.0, TEAM_SPOT.1 + 1.0);
    let got = h.take(alice.conn);
    let transitioned = got.iter().find_map(|m| match m {
        ServerMessage::ZoneTransitioned(t) => Some(t),
        _ => None,
    });
    let t = transitioned.expect("ZONE_TRANSITIONED when crossing into the team area");
    assert_eq!(t.zone.zone_id.as_str(), "team-area");
    assert_eq!(
        t.zone.zone_type,
        wire::ZoneType::TeamArea,
        "the most specific zone wins over the open area"
    );
    assert_eq!(t.presence_snapshot.len(), 1, "the snapshot lists Bob");
    assert_eq!(t.media_topology, wire::MediaTopology::P2pDirect);
    assert!(
        h.take(bob.conn)
            .iter()
            .any(|m| matches!(m, ServerMessage::PeerJoined(_))),
        "Bob learns Alice arrived"
    );
}

#[test]
fn an_explicit_zone_transition_must_name_the_real_zones() {
    let mut h = Harness::new();
    let alice = h.join(1, &[Role::Member]);
    h.walk(alice, 24.5, 22.5);
    h.advance(200);
    let bad_from = wire::ZoneTransition {
        from_zone_id: wire::ZoneId::new("meeting-room"),
        to_zone_id: wire::ZoneId::new("team-area"),
        position: wire::Position::new(23.5, 22.5),
    };
    h.send(alice.conn, ClientMessage::ZoneTransition(bad_from));
    assert_eq!(
        errors(&h.take(alice.conn)),
        vec![wire::ErrorCode::InvalidRequest]
    );
    let unknown = wire::ZoneTransition {
        from_zone_id: wire::ZoneId::new("open-area"),
        to_zone_id: wire::ZoneId::new("attic"),
        position: wire::Position::new(23.5, 22.5),
    };
    h.send(alice.conn, ClientMessage::ZoneTransition(unknown));
    assert_eq!(
        errors(&h.take(alice.conn)),
        vec![wire::ErrorCode::ZoneNotFound]
    );
    let good = wire::ZoneTransition {
        from_zone_id: wire::ZoneId::new("open-area"),
        to_zone_id: wire::ZoneId::new("team-area"),
        position: wire::Position::new(23.5, 22.5),
    };
    h.send(alice.conn, ClientMessage::ZoneTransition(good));
    assert!(names(&h.take(alice.conn)).contains(&"ZONE_TRANSITIONED"));
    assert_eq!(h.zone_of(alice), "team-area");
}

#[test]
fn a_full_zone_refuses_the_next_user_with_occupied() {
    let mut h = Harness::new();
    let mut admins = Vec::new();
    for n in 1..=9u128 {
        let c = h.join(n, &[Role::Admin]);
        h.walk(c, 39.5, 22.5);
        h.walk(c, 39.5 + (n % 2) as f64 * 0.5, 12.5);
        admins.push(c);
    }
    for (i, c) in admins.iter().take(8).enumerate() {
        let (door_x, _) = h.position(*c);
        h.walk(*c, door_x, 10.5);
        h.walk(*c, 35.5 + i as f64, 9.5);
        assert_eq!(
            h.zone_of(*c),
            "private-room",
            "user {} fits (capacity 8)",
            i + 1
        );
    }
    let ninth = admins[8];
    let (x, _) = h.position(ninth);
    h.advance(300);
    h.presence(ninth, x, 11.5);
    assert_eq!(
        corrections(&h.take(ninth.conn)),
        vec![wire::CorrectionReason::Occupied],
        "the ninth user may not enter the full private room"
    );
    assert_eq!(h.zone_of(ninth), "open-area");
}
