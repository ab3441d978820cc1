use super::*;
use crate::roles::Role;

#[test]
fn connect_then_join_gives_world_state_and_peers_learn_of_each_other() {
    let mut h = Harness::new();
    let alice = h.join(1, &[Role::Member]);
    let bob = h.join(2, &[Role::Member]);
    let to_alice = h.take(alice.conn);
    assert!(
        to_alice.iter().any(|m| matches!(m, ServerMessage::PeerJoined(p) if p.user.user_id.as_str() == bob.id.to_string())),
        "Alice must learn that Bob joined her zone: {to_alice:?}"
    );
    h.send(
        bob.conn,
        ClientMessage::JoinWorld(wire::JoinWorld {
            world_id: wire::WorldId::new("x"),
        }),
    );
    assert_eq!(
        errors(&h.take(bob.conn)),
        vec![wire::ErrorCode::InvalidRequest],
        "a second JOIN_WORLD"
    );
    h.close(bob.conn);
    assert!(
        h.take(alice.conn).iter().any(
            |m| matches!(m, ServerMessage::PeerLeft(p) if p.user_id.as_str() == bob.id.to_string())
        ),
        "Alice must learn that Bob left"
    );
    assert_eq!(h.server.user_count(), 1);
}

#[test]
fn world_state_carries_the_world_file_and_the_current_zone() {
    let mut h = Harness::new();
    let conn = h.open();
    let token = h.token(Uuid::from_u128(5), &[Role::Guest]);
    h.send(
        conn,
        ClientMessage::Connect(wire::Connect {
            token,
            client_version: "1".into(),
        }),
    );
    let connected = h.take(conn);
    assert!(
        matches!(&connected[..], [ServerMessage::Connected(c)] if c.extensions.contains(&"OBJECT_RELEASED".to_owned())),
        "{connected:?}"
    );
    let world_id = wire::WorldId::new(h.server.world().id().to_string());
    h.send(conn, ClientMessage::JoinWorld(wire::JoinWorld { world_id }));
    let got = h.take(conn);
    let Some(ServerMessage::WorldState(state)) = got.first() else {
        panic!("WORLD_STATE first: {got:?}");
    };
    assert_eq!(state.current_zone.zone_id.as_str(), "open-area");
    assert_eq!(state.media_topology, wire::MediaTopology::P2pDirect);
    assert!(
        state
            .world
            .as_ref()
            .is_some_and(|w| w["map"]["width"] == 48),
        "the world file rides along"
    );
}

#[test]
fn messages_before_connect_and_bad_tokens_are_refused() {
    let mut h = Harness::new();
    let conn = h.open();
    h.send(
        conn,
        ClientMessage::JoinWorld(wire::JoinWorld {
            world_id: wire::WorldId::new("w"),
        }),
    );
    assert_eq!(
        errors(&h.take(conn)),
        vec![wire::ErrorCode::AuthFailed],
        "JOIN_WORLD before CONNECT"
    );
    h.send(
        conn,
        ClientMessage::Connect(wire::Connect {
            token: "garbage".into(),
            client_version: "1".into(),
        }),
    );
    assert_eq!(
        errors(&h.take(conn)),
        vec![wire::ErrorCode::AuthFailed],
        "a bad token"
    );
    assert!(
        h.take_effects()
            .iter()
            .any(|o| matches!(o, WorldOutput::Close { conn: c, code: 4003, .. } if *c == conn))
    );

    let conn = h.open();
    let token = h.token(Uuid::from_u128(7), &[Role::Member]);
    h.send(
        conn,
        ClientMessage::Connect(wire::Connect {
            token: token.clone(),
            client_version: "1".into(),
        }),
    );
    h.take(conn);
    h.send(
        conn,
        ClientMessage::Connect(wire::Connect {
            token,
            client_version: "1".into(),
        }),
    );
    assert_eq!(
        errors(&h.take(conn)),
        vec![wire::ErrorCode::InvalidRequest],
        "a second CONNECT"
    );
    h.send(
        conn,
        ClientMessage::JoinWorld(wire::JoinWorld {
            world_id: wire::WorldId::new("nope"),
        }),
    );
    assert_eq!(errors(&h.take(conn)), vec![wire::ErrorCode::WorldNotFound]);
}

#[test]
fn connect_must_arrive_within_ten_seconds() {
    let mut h = Harness::new();
    let conn = h.open();
    h.advance(9_999);
    assert!(
        h.take_effects()
            .iter()
            .all(|o| !matches!(o, WorldOutput::Close { .. })),
        "not before 10 s"
    );
    h.advance(1);
    assert_eq!(errors(&h.take(conn)), vec![wire::ErrorCode::AuthFailed]);
    assert!(
        h.take_effects()
            .iter()
            .any(|o| matches!(o, WorldOutput::Close { code: 4001, .. }))
    );
}

#[test]
fn five_failed_sign_ins_a_minute_lock_the_address_out() {
    let mut h = Harness::new();
    for _ in 0..5 {
        let conn = h.open();
        h.send(
            conn,
            ClientMessage::Connect(wire::Connect {
                token: "bad".into(),
                client_version: "1".into(),
            }),
        );
        assert_eq!(errors(&h.take(conn)), vec![wire::ErrorCode::AuthFailed]);
    }
    let conn = h.open();
    let token = h.token(Uuid::from_u128(9), &[Role::Member]);
    h.send(
        conn,
        ClientMessage::Connect(wire::Connect {
            token: token.clone(),
            client_version: "1".into(),
        }),
    );
    assert_eq!(
        errors(&h.take(conn)),
        vec![wire::ErrorCode::RateLimited],
        "a sixth attempt, even valid, waits"
    );
    h.advance(60_000);
    let conn = h.open();
    h.send(
        conn,
        ClientMessage::Connect(wire::Connect {
            token,
            client_version: "1".into(),
        }),
    );
    assert!(
        matches!(h.take(conn).first(), Some(ServerMessage::Connected(_))),
        "a minute later it works"
    );
}

#[test]
fn a_presence_flood_is_rate_limited_without_touching_others() {
    let mut h = Harness::new();
    let alice = h.join(1, &[Role::Member]);
    let bob = h.join(2, &[Role::Member]);
    h.clear();
    let (x, y) = h.position(alice);
    for _ in 0..40 {
        h.presence(alice, x, y);
    }
    let limited = errors(&h.take(alice.conn))
        .iter()
        .filter(|c| **c == wire::ErrorCode::RateLimited)
        .count();
    assert_eq!(
        limited, 1,
        "the flood gets one RATE_LIMITED notice in that second"
    );
    let (bx, by) = h.position(bob);
    h.advance(100);
    h.presence(bob, bx + 0.5, by);
    h.advance(100);
    assert!(
        h.take(alice.conn).iter().any(|m| matches!(m, ServerMessage::PresenceBroadcast(p) if p.user_id.as_str() == bob.id.to_string())),
        "Bob's traffic keeps flowing to Alice"
    );
}
