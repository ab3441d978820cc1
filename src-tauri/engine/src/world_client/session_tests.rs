//! Tests of the sans-IO world session, with explicit time.

use super::*;
use serde_json::json;
use sfu_core::world::wire::{
    Connected, CorrectionReason, ErrorCode, ErrorPayload, PeerJoined, PeerLeft, PositionCorrection,
    PresenceBroadcast, WorkspaceId, WorldState, ZoneId, ZoneTransitioned, ZoneType,
};

pub(super) const WORLD: &str = "6f1c9a52-3b7e-4d2a-9c41-8e5b27d0f3a6";

pub(super) fn drain(session: &mut WorldSession) -> Vec<Action> {
    std::iter::from_fn(|| session.poll_action()).collect()
}

pub(super) fn sent(actions: &[Action]) -> Vec<&ClientMessage> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(m) => Some(m),
            _ => None,
        })
        .collect()
}

pub(super) fn user(id: &str) -> User {
    User {
        user_id: WorldUserId::new(id),
        workspace_id: WorkspaceId::new("ws"),
        display_name: format!("name-{id}"),
        avatar_id: String::new(),
        roles: Vec::new(),
    }
}

pub(super) fn peer(id: &str, x: f64, y: f64, zone: &str) -> PeerState {
    PeerState {
        user: user(id),
        position: Position::new(x, y),
        facing: Facing::South,
        state: AvatarState::Idle,
        zone_id: ZoneId::new(zone),
    }
}

pub(super) fn wire_zone(id: &str, zone_type: ZoneType) -> Zone {
    Zone {
        zone_id: ZoneId::new(id),
        zone_type,
        world_id: WorldId::new(WORLD),
    }
}

pub(super) fn connected(id: &str) -> ServerMessage {
    ServerMessage::Connected(Connected {
        user: user(id),
        server_version: "1".into(),
        extensions: Vec::new(),
    })
}

pub(super) fn world_state(peers: Vec<PeerState>) -> ServerMessage {
    ServerMessage::WorldState(WorldState {
        world_id: WorldId::new(WORLD),
        current_zone: wire_zone("open-area", ZoneType::OpenArea),
        media_topology: MediaTopology::P2pDirect,
        peers,
        world: Some(json!({"spawnPoints": [{"id": "s", "position": {"x": 28.5, "y": 22.5}}]})),
        you: None,
    })
}

/// A session that is in the world as `me`, with its actions drained.
fn in_world(t0: Instant, peers: Vec<PeerState>) -> WorldSession {
    let mut s = WorldSession::new(t0, "tok".into(), WorldId::new(WORLD));
    s.handle_server(t0, connected("me"));
    s.handle_server(t0, world_state(peers));
    drain(&mut s);
    s
}

#[test]
fn connect_goes_first_and_join_world_only_after_connected() {
    let t0 = Instant::now();
    let mut s = WorldSession::new(t0, "tok".into(), WorldId::new(WORLD));
    let first = drain(&mut s);
    assert!(
        matches!(&first[..], [Action::Send(ClientMessage::Connect(c))] if c.token == "tok"),
        "CONNECT alone comes first: {first:?}"
    );
    assert_eq!(s.poll_timeout(), Some(t0 + HANDSHAKE_TIMEOUT));

    s.handle_server(t0, connected("me"));
    let actions = drain(&mut s);
    assert!(
        matches!(&actions[0], Action::Emit(WorldEvent::Connected { user_id, .. }) if user_id.as_str() == "me"),
        "{actions:?}"
    );
    assert!(
        matches!(sent(&actions)[..], [ClientMessage::JoinWorld(j)] if j.world_id.as_str() == WORLD),
        "JOIN_WORLD follows CONNECTED: {actions:?}"
    );
    s.handle_server(t0, connected("me"));
    assert!(
        drain(&mut s).is_empty(),
        "a second CONNECTED changes nothing"
    );

    s.handle_server(t0, world_state(Vec::new()));
    assert!(s.in_world());
    assert_eq!(
        s.poll_timeout(),
        None,
        "no timer once in the world and idle"
    );
    assert_eq!(
        s.position(),
        Some(Position::new(28.5, 22.5)),
        "the first spawn point"
    );
}

#[test]
fn peers_follow_snapshots_joins_moves_and_leaves() {
    let t0 = Instant::now();
    let mut s = WorldSession::new(t0, "tok".into(), WorldId::new(WORLD));
    s.handle_server(t0, connected("me"));
    drain(&mut s);
    s.handle_server(
        t0,
        world_state(vec![
            peer("a", 1.0, 1.0, "open-area"),
            peer("me", 9.0, 9.0, "open-area"),
        ]),
    );
    let actions = drain(&mut s);
    let Some(Action::Emit(WorldEvent::WorldState { peers, zone, .. })) = actions.first() else {
        panic!("a world_state event: {actions:?}");
    };
    assert_eq!(zone.as_str(), "open-area");
    assert_eq!(peers.len(), 1, "this user is never its own peer: {peers:?}");
    assert_eq!(s.peers().len(), 1);

    s.handle_server(
        t0,
        ServerMessage::PeerJoined(PeerJoined {
            user: user("b"),
            position: Position::new(2.0, 2.0),
        }),
    );
    s.handle_server(
        t0,
        ServerMessage::PresenceBroadcast(PresenceBroadcast {
            user_id: WorldUserId::new("b"),
            position: Position::new(2.5, 2.0),
            facing: Facing::East,
            state: AvatarState::Walking,
        }),
    );
    let b = &s.peers()[&WorldUserId::new("b")];
    assert_eq!(
        b.position,
        Position::new(2.5, 2.0),
        "presence moves the peer"
    );
    assert_eq!(b.facing, Facing::East);
    let events = drain(&mut s);
    assert!(events.contains(&Action::Emit(WorldEvent::Presence {
        user_id: WorldUserId::new("b"),
        x: 2.5,
        y: 2.0,
    })));

    s.handle_server(
        t0,
        ServerMessage::PeerLeft(PeerLeft {
            user_id: WorldUserId::new("a"),
        }),
    );
    assert_eq!(
        s.peers()
            .keys()
            .map(WorldUserId::as_str)
            .collect::<Vec<_>>(),
        vec!["b"]
    );

    s.handle_server(
        t0,
        ServerMessage::ZoneTransitioned(ZoneTransitioned {
            zone: wire_zone("team-area", ZoneType::TeamArea),
            presence_snapshot: vec![peer("c", 5.0, 20.0, "team-area")],
            media_topology: MediaTopology::Sfu,
        }),
    );
    assert_eq!(
        s.peers()
            .keys()
            .map(WorldUserId::as_str)
            .collect::<Vec<_>>(),
        vec!["c"],
        "a zone snapshot replaces the peers of the old zone"
    );
    assert_eq!(s.zone().map(|z| z.zone_id.as_str()), Some("team-area"));
    assert_eq!(s.topology(), Some(MediaTopology::Sfu));
    let events = drain(&mut s);
    assert!(
        events.iter().any(|a| matches!(a, Action::Emit(WorldEvent::ZoneChanged { zone, topology: MediaTopology::Sfu, peers, .. }) if zone.as_str() == "team-area" && peers.len() == 1)),
        "{events:?}"
    );
}

/// Moves every `step` for `span`, firing the session's timer when due; returns the presence
/// updates sent, with their times.
fn walk(s: &mut WorldSession, t0: Instant, step: Duration, span: Duration) -> Vec<(Instant, f64)> {
    let mut out = Vec::new();
    let mut now = t0;
    let mut x = 28.5;
    while now < t0 + span {
        if let Some(due) = s.poll_timeout().filter(|due| *due <= now) {
            s.handle_timeout(due);
            collect(s, due, &mut out);
        }
        x += 0.01;
        s.move_to(now, Position::new(x, 22.5));
        collect(s, now, &mut out);
        now += step;
    }
    out
}

fn collect(s: &mut WorldSession, at: Instant, out: &mut Vec<(Instant, f64)>) {
    for action in drain(s) {
        if let Action::Send(ClientMessage::PresenceUpdate(u)) = action {
            out.push((at, u.position.x));
        }
    }
}

#[test]
fn presence_goes_out_at_most_fifteen_times_a_second_and_the_latest_wins() {
    let t0 = Instant::now();
    let mut s = in_world(t0, Vec::new());
    let sends = walk(&mut s, t0, Duration::from_millis(2), Duration::from_secs(3));
    for (i, (start, _)) in sends.iter().enumerate() {
        let within = sends[i..]
            .iter()
            .take_while(|(t, _)| *t < *start + Duration::from_secs(1))
            .count();
        assert!(
            within <= 16,
            "{within} updates within one second from update {i}"
        );
    }
    assert!(
        sends.len() >= 44,
        "a steady walker gets about 15 a second: {}",
        sends.len()
    );
    // The last move waits for its turn, then goes out: nothing stays behind.
    let last_move = s.position().map(|p| p.x);
    if let Some(due) = s.poll_timeout() {
        s.handle_timeout(due);
    }
    let mut tail = Vec::new();
    collect(&mut s, t0, &mut tail);
    let last_sent = tail.last().or(sends.last()).map(|(_, x)| *x);
    assert_eq!(
        last_sent, last_move,
        "the latest position reaches the server"
    );
    assert_eq!(s.poll_timeout(), None, "nothing left waiting");
}

#[test]
fn a_correction_snaps_the_position_glides_the_drawing_and_drops_the_waiting_move() {
    let t0 = Instant::now();
    let mut s = in_world(t0, Vec::new());
    s.move_to(t0, Position::new(29.0, 22.5));
    s.move_to(t0, Position::new(30.0, 22.5));
    assert!(s.poll_timeout().is_some(), "the second move waits");
    drain(&mut s);
    s.handle_server(
        t0,
        ServerMessage::PositionCorrection(PositionCorrection {
            correct_position: Position::new(28.5, 22.5),
            reason: CorrectionReason::Collision,
        }),
    );
    assert_eq!(s.position(), Some(Position::new(28.5, 22.5)), "snapped");
    assert_eq!(
        s.drawn_position(t0),
        Some(Position::new(30.0, 22.5)),
        "drawn where it was"
    );
    assert_eq!(
        s.drawn_position(t0 + Duration::from_secs(1)),
        Some(Position::new(28.5, 22.5)),
        "then glides to the correction"
    );
    assert_eq!(s.poll_timeout(), None, "the refused path's move is dropped");
    assert_eq!(
        drain(&mut s),
        vec![Action::Emit(WorldEvent::Corrected {
            x: 28.5,
            y: 22.5,
            reason: CorrectionReason::Collision
        })]
    );
}

#[test]
fn moves_and_requests_before_the_world_state_go_nowhere() {
    let t0 = Instant::now();
    let mut s = WorldSession::new(t0, "tok".into(), WorldId::new(WORLD));
    drain(&mut s);
    s.move_to(t0, Position::new(1.0, 1.0));
    s.request(ClientMessage::Error(ErrorPayload::new(
        ErrorCode::ServerError,
        "x",
    )));
    assert!(drain(&mut s).is_empty());
    assert_eq!(s.position(), None);
}

#[test]
fn an_error_before_the_world_closes_an_error_after_is_reported() {
    let t0 = Instant::now();
    let mut s = WorldSession::new(t0, "bad".into(), WorldId::new(WORLD));
    drain(&mut s);
    s.handle_server(
        t0,
        ServerMessage::Error(ErrorPayload::new(ErrorCode::AuthFailed, "token invalid")),
    );
    let actions = drain(&mut s);
    assert_eq!(
        actions,
        vec![
            Action::Emit(WorldEvent::Error {
                code: ErrorCode::AuthFailed,
                message: "token invalid".into()
            }),
            Action::Emit(WorldEvent::Closed {
                code: None,
                reason: "refused: AUTH_FAILED".into()
            }),
            Action::Close,
        ]
    );
    assert!(s.is_closed());
    s.handle_server(t0, connected("me"));
    assert!(drain(&mut s).is_empty(), "a closed session stays silent");

    let mut s = in_world(t0, Vec::new());
    s.handle_server(
        t0,
        ServerMessage::Error(ErrorPayload::new(ErrorCode::RateLimited, "slow down")),
    );
    assert_eq!(
        drain(&mut s),
        vec![Action::Emit(WorldEvent::Error {
            code: ErrorCode::RateLimited,
            message: "slow down".into()
        })],
        "in the world an error is news, not the end"
    );
    assert!(!s.is_closed());
}

#[test]
fn no_world_state_in_time_ends_the_session_and_a_close_is_reported_once() {
    let t0 = Instant::now();
    let mut s = WorldSession::new(t0, "tok".into(), WorldId::new(WORLD));
    drain(&mut s);
    s.handle_timeout(t0 + Duration::from_secs(1));
    assert!(drain(&mut s).is_empty(), "not yet");
    s.handle_timeout(t0 + HANDSHAKE_TIMEOUT);
    let actions = drain(&mut s);
    assert!(
        matches!(
            &actions[..],
            [
                Action::Emit(WorldEvent::Closed { code: None, .. }),
                Action::Close
            ]
        ),
        "{actions:?}"
    );

    let mut s = in_world(t0, Vec::new());
    s.handle_closed(t0, Some(4008), "too slow");
    s.leave();
    let actions = drain(&mut s);
    assert_eq!(
        actions,
        vec![
            Action::Emit(WorldEvent::Closed {
                code: Some(4008),
                reason: "too slow".into()
            }),
            Action::Close
        ]
    );
}

#[test]
fn a_move_faces_the_way_it_goes() {
    let t0 = Instant::now();
    let mut s = in_world(t0, Vec::new());
    s.move_to(t0, Position::new(28.5, 20.0));
    let actions = drain(&mut s);
    assert!(
        matches!(sent(&actions)[..], [ClientMessage::PresenceUpdate(u)] if u.facing == Facing::North && u.zone_id.as_ref().map(ZoneId::as_str) == Some("open-area")),
        "{actions:?}"
    );
}
