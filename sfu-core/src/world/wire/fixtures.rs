//! Sample messages for the tests: one of every variant in each direction, and JSON helpers.

use serde_json::{Value, json};

use super::*;
use crate::ids::ChannelId;

/// A user with roles (the extension field set).
pub(super) fn user(id: &str) -> User {
    User {
        user_id: WorldUserId::new(id),
        workspace_id: WorkspaceId::new("3f1c2a7e-8b9d-4e6f-a1b2-c3d4e5f60718"),
        display_name: format!("User {id}"),
        avatar_id: "fox".to_owned(),
        roles: vec![Role::Member],
    }
}

pub(super) fn zone() -> Zone {
    Zone {
        zone_id: ZoneId::new("zone-team"),
        zone_type: ZoneType::TeamArea,
        world_id: WorldId::new("world-1"),
    }
}

pub(super) fn peer(id: &str) -> PeerState {
    PeerState {
        user: user(id),
        position: Position::new(12.0, 7.5),
        facing: Facing::West,
        state: AvatarState::Sitting,
        zone_id: ZoneId::new("zone-team"),
    }
}

/// One message of every [`ClientMessage`] variant (17), with optional fields set.
pub(super) fn all_client_messages() -> Vec<ClientMessage> {
    let alice = || WorldUserId::new("alice");
    vec![
        ClientMessage::Connect(Connect {
            token: "eyJ.hdr.sig".to_owned(),
            client_version: "0.3.1".to_owned(),
        }),
        ClientMessage::JoinWorld(JoinWorld {
            world_id: WorldId::new("world-1"),
        }),
        ClientMessage::PresenceUpdate(PresenceUpdate {
            position: Position::new(18.0, 26.25),
            facing: Facing::North,
            state: AvatarState::Walking,
            zone_id: Some(ZoneId::new("zone-open")),
        }),
        ClientMessage::ZoneTransition(ZoneTransition {
            from_zone_id: ZoneId::new("zone-open"),
            to_zone_id: ZoneId::new("zone-team"),
            position: Position::new(20.0, 30.0),
        }),
        ClientMessage::MoveIntent(MoveIntent {
            position: Position::new(19.0, 27.0),
            timestamp: 1_700_000_000_123,
        }),
        ClientMessage::InteractRequest(InteractRequest {
            object_id: ObjectId::new("chair-1"),
            action: InteractAction::Sit,
        }),
        ClientMessage::InteractEnd(InteractEnd {
            object_id: ObjectId::new("chair-1"),
            lock_id: LockId::new("lock-9"),
        }),
        ClientMessage::SdpOffer(SdpToPeer {
            to: alice(),
            sdp: "dj0wDQo=".to_owned(),
        }),
        ClientMessage::SdpAnswer(SdpToPeer {
            to: alice(),
            sdp: "dj0wDQo=".to_owned(),
        }),
        ClientMessage::IceCandidate(IceToPeer {
            to: alice(),
            candidate: ice_candidate(),
        }),
        ClientMessage::IceFailed(IceFailed { peer_id: alice() }),
        ClientMessage::SfuConnected(SfuConnected {
            zone_id: ZoneId::new("zone-meet"),
        }),
        ClientMessage::SfuDisconnected(SfuDisconnected {
            zone_id: ZoneId::new("zone-meet"),
            reason: SfuDisconnectReason::Manual,
        }),
        ClientMessage::MuteUser(MuteUser {
            target_user_id: alice(),
            duration: 300,
        }),
        ClientMessage::RemoveFromZone(RemoveFromZone {
            target_user_id: alice(),
            zone_id: ZoneId::new("zone-meet"),
        }),
        ClientMessage::KickFromWorld(KickFromWorld {
            target_user_id: alice(),
            world_id: WorldId::new("world-1"),
        }),
        ClientMessage::Error(error_payload()),
    ]
}

/// One message of every [`ServerMessage`] variant (18), with optional fields set.
pub(super) fn all_server_messages() -> Vec<ServerMessage> {
    let bob = || WorldUserId::new("bob");
    vec![
        ServerMessage::Connected(Connected {
            user: user("bob"),
            server_version: "0.3.1".to_owned(),
            extensions: EXTENSIONS.iter().map(|e| (*e).to_owned()).collect(),
        }),
        ServerMessage::WorldState(WorldState {
            world_id: WorldId::new("world-1"),
            current_zone: zone(),
            media_topology: MediaTopology::P2pDirect,
            peers: vec![peer("alice"), peer("carol")],
            world: Some(json!({"worldId": "world-1", "map": {"width": 2, "height": 1}})),
            you: Some(Box::new(peer("bob"))),
        }),
        ServerMessage::PresenceBroadcast(PresenceBroadcast {
            user_id: bob(),
            position: Position::new(18.5, 26.0),
            facing: Facing::East,
            state: AvatarState::Idle,
        }),
        ServerMessage::ZoneTransitioned(ZoneTransitioned {
            zone: zone(),
            presence_snapshot: vec![peer("alice")],
            media_topology: MediaTopology::Sfu,
        }),
        ServerMessage::PositionCorrection(PositionCorrection {
            correct_position: Position::new(18.0, 26.0),
            reason: CorrectionReason::Collision,
        }),
        ServerMessage::InteractGranted(InteractGranted {
            object_id: ObjectId::new("desk-1"),
            lock_id: LockId::new("lock-1"),
        }),
        ServerMessage::InteractDenied(InteractDenied {
            object_id: ObjectId::new("desk-1"),
            reason: DenyReason::Occupied,
        }),
        ServerMessage::ObjectOccupied(ObjectOccupied {
            object_id: ObjectId::new("desk-1"),
            user_id: bob(),
        }),
        ServerMessage::ObjectReleased(ObjectReleased {
            object_id: ObjectId::new("desk-1"),
            user_id: bob(),
        }),
        ServerMessage::SdpOffer(SdpFromPeer {
            from: bob(),
            sdp: "dj0wDQo=".to_owned(),
        }),
        ServerMessage::SdpAnswer(SdpFromPeer {
            from: bob(),
            sdp: "dj0wDQo=".to_owned(),
        }),
        ServerMessage::IceCandidate(IceFromPeer {
            from: bob(),
            candidate: ice_candidate(),
        }),
        ServerMessage::TurnCredentials(TurnCredentials {
            urls: vec![
                "turn:turn.example.com:3478".to_owned(),
                "turns:turn.example.com:5349".to_owned(),
            ],
            username: "1700003600:bob".to_owned(),
            credential: "c2VjcmV0".to_owned(),
        }),
        ServerMessage::PromoteToSfu(PromoteToSfu {
            sfu_url: "ws://127.0.0.1:7800/signal".to_owned(),
            sfu_token: "eyJ.sfu.sig".to_owned(),
            zone_id: ZoneId::new("zone-meet"),
            channel_id: Some(ChannelId(2_230_469_276_416_868_352)),
        }),
        ServerMessage::PeerJoined(PeerJoined {
            user: user("dave"),
            position: Position::new(10.0, 15.0),
        }),
        ServerMessage::PeerLeft(PeerLeft { user_id: bob() }),
        ServerMessage::UserMuted(UserMuted {
            user_id: bob(),
            muted: true,
            duration: Some(300),
            by: Some(WorldUserId::new("admin")),
        }),
        ServerMessage::Error(error_payload()),
    ]
}

pub(super) fn ice_candidate() -> Value {
    json!({
        "candidate": "candidate:1 1 udp 2122260223 192.168.1.2 54321 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0
    })
}

fn error_payload() -> ErrorPayload {
    let mut err = ErrorPayload::new(ErrorCode::RateLimited, "slow down");
    err.details.insert("retry_after_ms".to_owned(), json!(250));
    err
}

/// Parses `text` (a test literal or encoder output) as JSON.
pub(super) fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// `frame` with `protocol_version: 1` added, as this crate writes every message.
pub(super) fn with_version(mut frame: Value) -> Value {
    if let Some(map) = frame.as_object_mut() {
        map.insert("protocol_version".to_owned(), json!(1));
    }
    frame
}

/// Replaces the first occurrence of `placeholder` in a seed example.
pub(super) fn fill(example: &str, placeholder: &str, value: &str) -> String {
    assert!(
        example.contains(placeholder),
        "placeholder {placeholder} not in example"
    );
    example.replacen(placeholder, value, 1)
}
