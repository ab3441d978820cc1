//! Tests of the session's reconnects, with explicit time: the backoff, which losses are
//! retried, the rejoin with the same token and world, and the walk back.

use std::time::{Duration, Instant};

use sfu_core::world::map::{DEMO_WORLD_JSON, World};
use sfu_core::world::wire::{
    ClientMessage, ErrorCode, ErrorPayload, MediaTopology, Position, ServerMessage, SfuConnected,
    WorldId, WorldState, ZoneId, ZoneType,
};

use super::ReconnectPolicy;
use super::tests::{WORLD, connected, drain, peer, sent, wire_zone, world_state};
use super::{Action, WorldEvent, WorldSession};

const SPAWN: Position = Position { x: 28.5, y: 22.5 };
/// Inside the demo world's team area, in plain sight of the spawn.
const TEAM_SPOT: Position = Position { x: 20.5, y: 22.5 };

/// A `WORLD_STATE` of the demo world, placing this user at the spawn point in the open area.
fn demo_world_state() -> ServerMessage {
    let world = serde_json::from_str(DEMO_WORLD_JSON).expect("the demo world is JSON");
    ServerMessage::WorldState(WorldState {
        world_id: WorldId::new(WORLD),
        current_zone: wire_zone("open-area", ZoneType::OpenArea),
        media_topology: MediaTopology::P2pDirect,
        peers: Vec::new(),
        world: Some(world),
        you: Some(Box::new(peer("me", SPAWN.x, SPAWN.y, "open-area"))),
    })
}

/// A reconnecting session in the demo world, standing at `at`, actions drained.
fn in_demo_world(t0: Instant, at: Position) -> WorldSession {
    let mut s = WorldSession::new(t0, "tok".into(), WorldId::new(WORLD))
        .with_reconnect(ReconnectPolicy::default());
    s.handle_server(t0, connected("me"));
    s.handle_server(t0, demo_world_state());
    if at != SPAWN {
        s.move_to(t0, at);
    }
    drain(&mut s);
    s
}

fn reconnecting(actions: &[Action]) -> Vec<(u32, u64)> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Emit(WorldEvent::Reconnecting {
                attempt, delay_ms, ..
            }) => Some((*attempt, *delay_ms)),
            _ => None,
        })
        .collect()
}

/// Runs the session's timers up to `until`, returning every action on the way.
fn run_until(s: &mut WorldSession, until: Instant) -> Vec<Action> {
    let mut out = Vec::new();
    while let Some(due) = s.poll_timeout().filter(|due| *due <= until) {
        s.handle_timeout(due);
        out.extend(drain(s));
    }
    out
}

#[test]
fn a_lost_socket_signs_in_again_with_the_same_token_and_walks_back_into_the_same_zone() {
    let t0 = Instant::now();
    let mut s = in_demo_world(t0, TEAM_SPOT);
    let t1 = t0 + Duration::from_secs(5);
    s.handle_closed(t1, None, "socket error: reset");
    assert!(s.is_reconnecting());
    let lost = drain(&mut s);
    assert_eq!(
        lost,
        vec![
            Action::Disconnect,
            Action::Emit(WorldEvent::Reconnecting {
                attempt: 1,
                delay_ms: 1000,
                reason: "socket error: reset".into()
            })
        ]
    );
    assert_eq!(s.poll_timeout(), Some(t1 + Duration::from_secs(1)));
    assert!(run_until(&mut s, t1 + Duration::from_millis(999)).is_empty());
    assert_eq!(
        run_until(&mut s, t1 + Duration::from_secs(1)),
        vec![Action::Dial],
        "dials after the first delay"
    );
    assert_eq!(s.poll_timeout(), None, "the shell reports the dial");

    let t2 = t1 + Duration::from_secs(1);
    s.handle_dialed(t2);
    let actions = drain(&mut s);
    assert!(
        matches!(&actions[..], [Action::Send(ClientMessage::Connect(c))] if c.token == "tok"),
        "CONNECT with the same token: {actions:?}"
    );
    s.handle_server(t2, connected("me"));
    let actions = drain(&mut s);
    assert!(
        matches!(sent(&actions)[..], [ClientMessage::JoinWorld(j)] if j.world_id.as_str() == WORLD),
        "JOIN_WORLD into the same world: {actions:?}"
    );
    s.handle_server(t2, demo_world_state());
    let actions = drain(&mut s);
    let events: Vec<&WorldEvent> = actions
        .iter()
        .filter_map(|a| match a {
            Action::Emit(e) => Some(e),
            _ => None,
        })
        .collect();
    assert!(
        matches!(&events[..], [WorldEvent::WorldState { .. }, WorldEvent::Reconnected { zone }] if zone.as_str() == "open-area"),
        "the snapshot for redrawing, then reconnected: {events:?}"
    );
    assert!(s.in_world() && !s.is_reconnecting());

    // The walk back: legal steps, ending where the user stood, which is in the team area.
    let world = World::demo();
    let mut at = SPAWN;
    let mut steps = sent(&actions)
        .into_iter()
        .cloned()
        .collect::<Vec<ClientMessage>>();
    steps.extend(
        run_until(&mut s, t2 + Duration::from_secs(10))
            .into_iter()
            .filter_map(|a| match a {
                Action::Send(m) => Some(m),
                _ => None,
            }),
    );
    assert!(steps.len() > 2, "walks back in steps: {steps:?}");
    for step in &steps {
        let ClientMessage::PresenceUpdate(u) = step else {
            panic!("only presence on the way back: {step:?}");
        };
        assert!(
            world
                .segment_clear((at.x, at.y), (u.position.x, u.position.y), &[])
                .is_ok(),
            "{at:?} -> {:?} crosses a wall",
            u.position
        );
        assert!(
            (u.position.x - at.x).hypot(u.position.y - at.y) < 1.0,
            "a step the server's speed limit allows"
        );
        at = u.position;
    }
    assert_eq!(at, TEAM_SPOT, "back where the user stood");
    assert_eq!(s.position(), Some(TEAM_SPOT));
    assert_eq!(
        world.zone_at(at.x, at.y).map(|z| z.id.as_str().to_owned()),
        Some("team-area".to_owned())
    );
    assert_eq!(s.poll_timeout(), None, "the walk is over");
}

#[test]
fn the_delays_grow_to_thirty_seconds_and_the_session_gives_up_after_ten_attempts() {
    let t0 = Instant::now();
    let mut s = in_demo_world(t0, SPAWN);
    let mut now = t0;
    s.handle_closed(now, Some(1006), "abnormal");
    let mut actions = drain(&mut s);
    let mut dials = 0;
    while let Some(due) = s.poll_timeout() {
        now = due;
        actions.extend(run_until(&mut s, now));
        dials += 1;
        s.handle_dial_failed(now, "connection refused");
        actions.extend(drain(&mut s));
    }
    assert_eq!(dials, 10, "ten attempts");
    let secs: Vec<u64> = reconnecting(&actions)
        .iter()
        .map(|(_, ms)| ms / 1000)
        .collect();
    assert_eq!(secs, vec![1, 2, 4, 8, 16, 30, 30, 30, 30, 30]);
    assert_eq!(
        now - t0,
        Duration::from_secs(181),
        "gave up after the sum of the delays"
    );
    assert_eq!(
        actions[actions.len() - 2..],
        [
            Action::Emit(WorldEvent::Closed {
                code: None,
                reason: "gave up reconnecting after 10 attempts: connection refused".into()
            }),
            Action::Close
        ]
    );
    assert!(s.is_closed());
}

#[test]
fn a_world_state_resets_the_attempt_counter() {
    let t0 = Instant::now();
    let mut s = in_demo_world(t0, SPAWN);
    // Two failed dials, then a handshake that times out, then a success.
    s.handle_closed(t0, None, "eof");
    for _ in 0..2 {
        let due = s.poll_timeout().expect("scheduled");
        run_until(&mut s, due);
        s.handle_dial_failed(due, "refused");
    }
    let due = s.poll_timeout().expect("scheduled");
    run_until(&mut s, due);
    s.handle_dialed(due);
    drain(&mut s);
    let timed_out = run_until(&mut s, due + Duration::from_secs(10));
    assert_eq!(
        timed_out.first(),
        Some(&Action::Disconnect),
        "{timed_out:?}"
    );
    assert_eq!(
        reconnecting(&timed_out),
        vec![(4, 8000)],
        "a handshake without WORLD_STATE is a failed attempt"
    );
    let (t1, _) = rejoin_after_scheduled(&mut s);
    s.handle_closed(t1, None, "eof");
    assert_eq!(
        reconnecting(&drain(&mut s)),
        vec![(1, 1000)],
        "after a success the next loss starts from the first delay"
    );
}

/// Dials when due and rejoins; the session already waits for its next attempt.
fn rejoin_after_scheduled(s: &mut WorldSession) -> (Instant, Vec<Action>) {
    let due = s.poll_timeout().expect("a dial is scheduled");
    assert_eq!(run_until(s, due), vec![Action::Dial]);
    s.handle_dialed(due);
    s.handle_server(due, connected("me"));
    s.handle_server(due, demo_world_state());
    (due, drain(s))
}

#[test]
fn leaving_kicks_refusals_and_go_away_codes_end_the_session_for_good() {
    let t0 = Instant::now();
    let closes = |s: &mut WorldSession| {
        let actions = drain(s);
        assert!(s.is_closed(), "{actions:?}");
        assert!(reconnecting(&actions).is_empty(), "{actions:?}");
        assert_eq!(actions.last(), Some(&Action::Close));
    };

    let mut s = in_demo_world(t0, SPAWN);
    s.leave();
    closes(&mut s);

    for code in [1000, 4002, 4003, 4008, 4010, 4013] {
        let mut s = in_demo_world(t0, SPAWN);
        s.handle_closed(t0, Some(code), "go away");
        closes(&mut s);
    }

    // A kick: the ERROR says so, and even a close without a code is final after it.
    let mut s = in_demo_world(t0, SPAWN);
    let mut kicked = ErrorPayload::new(ErrorCode::PermissionDenied, "you were kicked");
    kicked.details.insert("reason".into(), "kicked".into());
    s.handle_server(t0, ServerMessage::Error(kicked));
    s.handle_closed(t0, None, "socket closed");
    closes(&mut s);

    // A token refused on the way back in (it expired meanwhile).
    let mut s = in_demo_world(t0, SPAWN);
    s.handle_closed(t0, None, "eof");
    let due = s.poll_timeout().expect("scheduled");
    run_until(&mut s, due);
    s.handle_dialed(due);
    drain(&mut s);
    s.handle_server(
        due,
        ServerMessage::Error(ErrorPayload::new(ErrorCode::AuthFailed, "token expired")),
    );
    closes(&mut s);

    // A first sign-in that never got in is reported, not retried.
    let mut s = WorldSession::new(t0, "tok".into(), WorldId::new(WORLD))
        .with_reconnect(ReconnectPolicy::default());
    s.handle_server(t0, connected("me"));
    s.handle_closed(t0, None, "eof");
    closes(&mut s);

    // A session whose shell cannot dial ends with its socket.
    let mut s = WorldSession::new(t0, "tok".into(), WorldId::new(WORLD));
    s.handle_server(t0, connected("me"));
    s.handle_server(t0, world_state(Vec::new()));
    s.handle_closed(t0, None, "eof");
    closes(&mut s);
}

#[test]
fn while_disconnected_moves_keep_only_the_latest_position_and_requests_are_dropped() {
    let t0 = Instant::now();
    let mut s = in_demo_world(t0, SPAWN);
    s.handle_closed(t0, None, "eof");
    drain(&mut s);
    s.move_to(t0, Position::new(29.0, 22.5));
    s.request(ClientMessage::SfuConnected(SfuConnected {
        zone_id: ZoneId::new("open-area"),
    }));
    s.move_to(t0, Position::new(29.5, 22.5));
    assert!(drain(&mut s).is_empty(), "nothing goes out while down");
    assert_eq!(s.restore_target(), Some(Position::new(29.5, 22.5)));

    let (t1, actions) = rejoin_after_scheduled(&mut s);
    let mut out: Vec<ClientMessage> = sent(&actions).into_iter().cloned().collect();
    out.extend(
        run_until(&mut s, t1 + Duration::from_secs(5))
            .into_iter()
            .filter_map(|a| match a {
                Action::Send(m) => Some(m),
                _ => None,
            }),
    );
    assert!(
        out.iter().all(|m| matches!(
            m,
            ClientMessage::Connect(_)
                | ClientMessage::JoinWorld(_)
                | ClientMessage::PresenceUpdate(_)
        )),
        "the dropped request stays dropped: {out:?}"
    );
    assert!(
        matches!(out.last(), Some(ClientMessage::PresenceUpdate(u)) if u.position == Position::new(29.5, 22.5)),
        "walks to the latest move: {out:?}"
    );
}

#[test]
fn without_a_map_the_rejoin_asks_for_the_last_position_in_one_move() {
    let t0 = Instant::now();
    let mut s = WorldSession::new(t0, "tok".into(), WorldId::new(WORLD))
        .with_reconnect(ReconnectPolicy::default());
    s.handle_server(t0, connected("me"));
    s.handle_server(t0, world_state(Vec::new()));
    s.move_to(t0, Position::new(29.0, 22.5));
    drain(&mut s);
    s.handle_closed(t0, Some(1001), "server shutting down");
    drain(&mut s);
    let due = s.poll_timeout().expect("scheduled");
    run_until(&mut s, due);
    s.handle_dialed(due);
    s.handle_server(due, connected("me"));
    s.handle_server(due, world_state(Vec::new()));
    let actions = drain(&mut s);
    assert!(
        matches!(sent(&actions)[..], [ClientMessage::Connect(_), ClientMessage::JoinWorld(_), ClientMessage::PresenceUpdate(u)] if u.position == Position::new(29.0, 22.5)),
        "{actions:?}"
    );
    assert_eq!(s.position(), Some(Position::new(29.0, 22.5)));
}
