//! Golden tests for server -> client messages: every server example of seed 004 decodes with
//! [`decode_server`] to the expected value, and [`ServerMessage::to_json`] writes the example back
//! plus `protocol_version: 1` (SPEC section 6: every server message carries it).
//!
//! Templates are filled in with [`fill`]: `{ /* User */ }` with the seed's own User example
//! (section 4.1), `{ /* Zone */ }` with its Zone example (section 4.2), `[ /* User[] */ ]` with
//! one [`PeerState`], and `"a | b"` enums once per value. Placeholder ids (`"uuid"`) are kept.

use serde_json::{Value, json};

use super::fixtures::{fill, ice_candidate, parse, with_version};
use super::*;

/// Seed 004 section 4.1, verbatim.
const SEED_USER: &str = r#"{
  "user_id": "uuid",
  "workspace_id": "uuid",
  "display_name": "string",
  "avatar_id": "string"
}"#;

/// Seed 004 section 4.2 with the `zone_type` template filled.
const SEED_ZONE: &str = r#"{ "zone_id": "uuid", "zone_type": "MeetingRoom", "world_id": "uuid" }"#;

fn seed_user() -> User {
    User {
        user_id: WorldUserId::new("uuid"),
        workspace_id: WorkspaceId::new("uuid"),
        display_name: "string".to_owned(),
        avatar_id: "string".to_owned(),
        roles: Vec::new(),
    }
}

fn seed_zone() -> Zone {
    Zone {
        zone_id: ZoneId::new("uuid"),
        zone_type: ZoneType::MeetingRoom,
        world_id: WorldId::new("uuid"),
    }
}

/// A [`PeerState`] around the seed's user, and its JSON.
fn seed_peer() -> (PeerState, String) {
    let peer = PeerState {
        user: seed_user(),
        position: Position::new(10.0, 15.0),
        facing: Facing::South,
        state: AvatarState::Idle,
        zone_id: ZoneId::new("uuid"),
    };
    let text = format!(
        r#"{{"user": {SEED_USER}, "position": {{"x": 10, "y": 15}}, "facing": "south", "state": "idle", "zone_id": "uuid"}}"#
    );
    (peer, text)
}

/// Decodes `text`, expects `want`, and checks that `want` encodes as `text` plus the version.
fn golden(text: &str, want: ServerMessage) {
    golden_as(text, want, with_version(parse(text)));
}

/// Like [`golden`], for examples whose encoding differs from the seed by fields this crate always
/// writes: `written` is the expected encoding.
fn golden_as(text: &str, want: ServerMessage, written: Value) {
    let got = decode_server(text).unwrap_or_else(|e| panic!("{text} must decode: {e}"));
    assert_eq!(got, want, "decoded {text}");
    assert_eq!(parse(&want.to_json()), written, "{} encoding", want.name());
}

#[test]
fn connected_6_1() {
    let example = r#"{ "type": "CONNECTED", "payload": { "user": { /* User */ }, "server_version": "1.0.0" } }"#;
    let text = fill(example, "{ /* User */ }", SEED_USER);
    let want = ServerMessage::Connected(Connected {
        user: seed_user(),
        server_version: "1.0.0".to_owned(),
        extensions: Vec::new(),
    });
    // `extensions` is always written (SPEC section 6), so the encoding has `"extensions": []`.
    let mut written = with_version(parse(&text));
    written["payload"]["extensions"] = json!([]);
    golden_as(&text, want, written);
}

#[test]
fn world_state_6_2() {
    let example = r#"{
      "type": "WORLD_STATE",
      "payload": { "world_id": "uuid", "current_zone": { /* Zone */ }, "media_topology": "P2P_DIRECT", "peers": [ /* User[] */ ] }
    }"#;
    let (peer, peer_text) = seed_peer();
    let peers = format!("[{peer_text}]");
    let text = fill(
        &fill(example, "{ /* Zone */ }", SEED_ZONE),
        "[ /* User[] */ ]",
        &peers,
    );
    let want = ServerMessage::WorldState(WorldState {
        world_id: WorldId::new("uuid"),
        current_zone: seed_zone(),
        media_topology: MediaTopology::P2pDirect,
        peers: vec![peer],
        world: None,
        you: None,
    });
    golden(&text, want);
}

#[test]
fn zone_types_4_2() {
    let example = r#"{ "zone_id": "uuid", "zone_type": "OpenArea | TeamArea | MeetingRoom | PrivateRoom", "world_id": "uuid" }"#;
    for (text, zone_type) in [
        ("OpenArea", ZoneType::OpenArea),
        ("TeamArea", ZoneType::TeamArea),
        ("MeetingRoom", ZoneType::MeetingRoom),
        ("PrivateRoom", ZoneType::PrivateRoom),
    ] {
        let text = fill(
            example,
            "OpenArea | TeamArea | MeetingRoom | PrivateRoom",
            text,
        );
        let zone: Zone = serde_json::from_str(&text).expect("the seed's zone decodes");
        assert_eq!(zone.zone_type, zone_type, "{text}");
        assert_eq!(
            serde_json::to_value(&zone).expect("zone encodes"),
            parse(&text)
        );
    }
}

#[test]
fn presence_broadcast_7_2_each_state() {
    let example = r#"{
      "type": "PRESENCE_BROADCAST",
      "payload": { "user_id": "uuid", "position": { "x": 18, "y": 26 }, "facing": "north", "state": "idle | walking | sitting" }
    }"#;
    for (text, state) in [
        ("idle", AvatarState::Idle),
        ("walking", AvatarState::Walking),
        ("sitting", AvatarState::Sitting),
    ] {
        let want = ServerMessage::PresenceBroadcast(PresenceBroadcast {
            user_id: WorldUserId::new("uuid"),
            position: Position::new(18.0, 26.0),
            facing: Facing::North,
            state,
        });
        golden(&fill(example, "idle | walking | sitting", text), want);
    }
}

#[test]
fn zone_transitioned_7_3_each_topology() {
    let example = r#"{
      "type": "ZONE_TRANSITIONED",
      "payload": { "zone": { /* Zone */ }, "presence_snapshot": [ /* User[] with positions */ ], "media_topology": "P2P_DIRECT | SFU" }
    }"#;
    let (peer, peer_text) = seed_peer();
    let snapshot = format!("[{peer_text}]");
    let example = fill(
        &fill(example, "{ /* Zone */ }", SEED_ZONE),
        "[ /* User[] with positions */ ]",
        &snapshot,
    );
    // P2P_TURN is not in this example's template but is a MediaTopology (section 5.2).
    for (text, media_topology) in [
        ("P2P_DIRECT", MediaTopology::P2pDirect),
        ("P2P_TURN", MediaTopology::P2pTurn),
        ("SFU", MediaTopology::Sfu),
    ] {
        let want = ServerMessage::ZoneTransitioned(ZoneTransitioned {
            zone: seed_zone(),
            presence_snapshot: vec![peer.clone()],
            media_topology,
        });
        golden(&fill(&example, "P2P_DIRECT | SFU", text), want);
    }
}

#[test]
fn position_correction_8_2_each_reason() {
    let example = r#"{
      "type": "POSITION_CORRECTION",
      "payload": { "correct_position": { "x": 18, "y": 26 }, "reason": "collision | occupied | invalid" }
    }"#;
    for (text, reason) in [
        ("collision", CorrectionReason::Collision),
        ("occupied", CorrectionReason::Occupied),
        ("invalid", CorrectionReason::Invalid),
    ] {
        let want = ServerMessage::PositionCorrection(PositionCorrection {
            correct_position: Position::new(18.0, 26.0),
            reason,
        });
        golden(&fill(example, "collision | occupied | invalid", text), want);
    }
}

#[test]
fn interactions_9() {
    let granted =
        r#"{ "type": "INTERACT_GRANTED", "payload": { "object_id": "uuid", "lock_id": "uuid" } }"#;
    let want = ServerMessage::InteractGranted(InteractGranted {
        object_id: ObjectId::new("uuid"),
        lock_id: LockId::new("uuid"),
    });
    golden(granted, want);

    let occupied =
        r#"{ "type": "OBJECT_OCCUPIED", "payload": { "object_id": "uuid", "user_id": "uuid" } }"#;
    let want = ServerMessage::ObjectOccupied(ObjectOccupied {
        object_id: ObjectId::new("uuid"),
        user_id: WorldUserId::new("uuid"),
    });
    golden(occupied, want);

    let denied = r#"{ "type": "INTERACT_DENIED", "payload": { "object_id": "uuid", "reason": "occupied | invalid | unauthorized" } }"#;
    for (text, reason) in [
        ("occupied", DenyReason::Occupied),
        ("invalid", DenyReason::Invalid),
        ("unauthorized", DenyReason::Unauthorized),
    ] {
        let want = ServerMessage::InteractDenied(InteractDenied {
            object_id: ObjectId::new("uuid"),
            reason,
        });
        golden(
            &fill(denied, "occupied | invalid | unauthorized", text),
            want,
        );
    }
}

#[test]
fn relayed_negotiation_10() {
    let sdp = SdpFromPeer {
        from: WorldUserId::new("user_id"),
        sdp: "base64_encoded_sdp".to_owned(),
    };
    let offer =
        r#"{ "type": "SDP_OFFER", "payload": { "from": "user_id", "sdp": "base64_encoded_sdp" } }"#;
    golden(offer, ServerMessage::SdpOffer(sdp.clone()));
    let answer = r#"{ "type": "SDP_ANSWER", "payload": { "from": "user_id", "sdp": "base64_encoded_sdp" } }"#;
    golden(answer, ServerMessage::SdpAnswer(sdp));

    // `{ /* ICE candidate object */ }` filled with an `RTCIceCandidateInit`.
    let example = r#"{ "type": "ICE_CANDIDATE", "payload": { "from": "user_id", "candidate": { /* ICE candidate object */ } } }"#;
    let want = ServerMessage::IceCandidate(IceFromPeer {
        from: WorldUserId::new("user_id"),
        candidate: ice_candidate(),
    });
    let text = fill(
        example,
        "{ /* ICE candidate object */ }",
        &ice_candidate().to_string(),
    );
    golden(&text, want);
}

#[test]
fn turn_credentials_11_2() {
    let text = r#"{
      "type": "TURN_CREDENTIALS",
      "payload": { "urls": ["turn:turn.example.com:3478"], "username": "token", "credential": "token" }
    }"#;
    let want = ServerMessage::TurnCredentials(TurnCredentials {
        urls: vec!["turn:turn.example.com:3478".to_owned()],
        username: "token".to_owned(),
        credential: "token".to_owned(),
    });
    golden(text, want);
}

#[test]
fn promote_to_sfu_12_1() {
    let text = r#"{
      "type": "PROMOTE_TO_SFU",
      "payload": { "sfu_url": "wss://sfu.example.com", "sfu_token": "jwt_token", "zone_id": "uuid" }
    }"#;
    let want = ServerMessage::PromoteToSfu(PromoteToSfu {
        sfu_url: "wss://sfu.example.com".to_owned(),
        sfu_token: "jwt_token".to_owned(),
        zone_id: ZoneId::new("uuid"),
        channel_id: None,
    });
    golden(text, want);
}

#[test]
fn peers_13() {
    let example = r#"{ "type": "PEER_JOINED", "payload": { "user": { /* User */ }, "position": { "x": 10, "y": 15 } } }"#;
    let want = ServerMessage::PeerJoined(PeerJoined {
        user: seed_user(),
        position: Position::new(10.0, 15.0),
    });
    golden(&fill(example, "{ /* User */ }", SEED_USER), want);

    let left = r#"{ "type": "PEER_LEFT", "payload": { "user_id": "uuid" } }"#;
    let want = ServerMessage::PeerLeft(PeerLeft {
        user_id: WorldUserId::new("uuid"),
    });
    golden(left, want);
}

#[test]
fn error_14_each_code() {
    // The seed's template lists four codes; section 14.2 lists all eight.
    let example = r#"{
      "type": "ERROR",
      "payload": { "code": "AUTH_FAILED | INVALID_REQUEST | RATE_LIMITED | SERVER_ERROR", "message": "Human-readable error message", "details": {} }
    }"#;
    let codes = [
        ("AUTH_FAILED", ErrorCode::AuthFailed),
        ("INVALID_REQUEST", ErrorCode::InvalidRequest),
        ("RATE_LIMITED", ErrorCode::RateLimited),
        ("SERVER_ERROR", ErrorCode::ServerError),
        ("WORLD_NOT_FOUND", ErrorCode::WorldNotFound),
        ("ZONE_NOT_FOUND", ErrorCode::ZoneNotFound),
        ("OBJECT_NOT_FOUND", ErrorCode::ObjectNotFound),
        ("PERMISSION_DENIED", ErrorCode::PermissionDenied),
    ];
    for (text, code) in codes {
        let text = fill(
            example,
            "AUTH_FAILED | INVALID_REQUEST | RATE_LIMITED | SERVER_ERROR",
            text,
        );
        let want = ServerMessage::Error(ErrorPayload::new(code, "Human-readable error message"));
        golden(&text, want);
    }
}
