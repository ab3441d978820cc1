//! Golden tests for client -> server messages: every client example of seed 004, verbatim where it
//! is valid JSON, decodes to the expected value, and encoding that value gives the example back
//! (plus `protocol_version: 1`, which this crate always writes).
//!
//! Where the seed writes a template rather than a value (`"state": "idle | walking | sitting"`,
//! `{ /* ICE candidate object */ }`), the example is kept verbatim and the template is filled in
//! with [`fill`], once per allowed value. Placeholder ids such as `"uuid"` and `"user_id"` are valid ids (any string) and are
//! kept as they are.

use serde_json::json;

use super::fixtures::{fill, ice_candidate, parse, with_version};
use super::*;

fn id<T: From<&'static str>>(text: &'static str) -> T {
    T::from(text)
}

/// Decodes `text` as a client frame, expects `want`, and checks that encoding `want` gives
/// `text` back with `protocol_version: 1`.
fn golden(text: &str, want: ClientMessage) {
    let got = decode_client(text).unwrap_or_else(|e| panic!("{text} must decode: {e}"));
    assert_eq!(got.message, want, "decoded {text}");
    assert_eq!(got.protocol_version, 1, "version of {text}");
    assert_eq!(
        parse(&want.to_json()),
        with_version(parse(text)),
        "{} must encode as the seed writes it",
        want.name()
    );
}

#[test]
fn connect_6_1() {
    let text = r#"{
      "type": "CONNECT",
      "payload": { "token": "jwt_token", "client_version": "1.0.0" },
      "protocol_version": 1
    }"#;
    let want = ClientMessage::Connect(Connect {
        token: "jwt_token".to_owned(),
        client_version: "1.0.0".to_owned(),
    });
    golden(text, want);
}

#[test]
fn join_world_6_2() {
    let text = r#"{ "type": "JOIN_WORLD", "payload": { "world_id": "uuid" } }"#;
    golden(
        text,
        ClientMessage::JoinWorld(JoinWorld {
            world_id: id("uuid"),
        }),
    );
}

#[test]
fn presence_update_7_1_each_state() {
    // The seed writes `"state": "idle | walking | sitting"`: one run per value.
    let example = r#"{
      "type": "PRESENCE_UPDATE",
      "payload": {
        "position": { "x": 18, "y": 26 },
        "facing": "north",
        "state": "idle | walking | sitting",
        "zone_id": "uuid"
      }
    }"#;
    for (text, state) in [
        ("idle", AvatarState::Idle),
        ("walking", AvatarState::Walking),
        ("sitting", AvatarState::Sitting),
    ] {
        let want = ClientMessage::PresenceUpdate(PresenceUpdate {
            position: Position::new(18.0, 26.0),
            facing: Facing::North,
            state,
            zone_id: Some(id("uuid")),
        });
        golden(&fill(example, "idle | walking | sitting", text), want);
    }
}

#[test]
fn presence_update_without_zone_and_each_facing() {
    for (text, facing) in [
        ("north", Facing::North),
        ("south", Facing::South),
        ("east", Facing::East),
        ("west", Facing::West),
    ] {
        let frame = json!({
            "type": "PRESENCE_UPDATE",
            "payload": {"position": {"x": 1.5, "y": 0}, "facing": text, "state": "idle"}
        });
        let want = ClientMessage::PresenceUpdate(PresenceUpdate {
            position: Position::new(1.5, 0.0),
            facing,
            state: AvatarState::Idle,
            zone_id: None,
        });
        golden(&frame.to_string(), want);
    }
}

#[test]
fn zone_transition_7_3() {
    let text = r#"{
      "type": "ZONE_TRANSITION",
      "payload": { "from_zone_id": "uuid", "to_zone_id": "uuid", "position": { "x": 20, "y": 30 } }
    }"#;
    let want = ClientMessage::ZoneTransition(ZoneTransition {
        from_zone_id: id("uuid"),
        to_zone_id: id("uuid"),
        position: Position::new(20.0, 30.0),
    });
    golden(text, want);
}

#[test]
fn move_intent_8_1() {
    let text = r#"{
      "type": "MOVE_INTENT",
      "payload": { "position": { "x": 19, "y": 27 }, "timestamp": 1234567890 }
    }"#;
    let want = ClientMessage::MoveIntent(MoveIntent {
        position: Position::new(19.0, 27.0),
        timestamp: 1_234_567_890,
    });
    golden(text, want);
}

#[test]
fn interact_request_9_1_each_action() {
    // The seed writes `"action": "sit | use | attach"`: one run per value.
    let example = r#"{ "type": "INTERACT_REQUEST", "payload": { "object_id": "uuid", "action": "sit | use | attach" } }"#;
    for (text, action) in [
        ("sit", InteractAction::Sit),
        ("use", InteractAction::Use),
        ("attach", InteractAction::Attach),
    ] {
        let want = ClientMessage::InteractRequest(InteractRequest {
            object_id: id("uuid"),
            action,
        });
        golden(&fill(example, "sit | use | attach", text), want);
    }
}

#[test]
fn interact_end_9_5() {
    let text =
        r#"{ "type": "INTERACT_END", "payload": { "object_id": "uuid", "lock_id": "uuid" } }"#;
    let want = ClientMessage::InteractEnd(InteractEnd {
        object_id: id("uuid"),
        lock_id: id("uuid"),
    });
    golden(text, want);
}

#[test]
fn sdp_offer_and_answer_10_1_10_2() {
    let sdp = SdpToPeer {
        to: id("user_id"),
        sdp: "base64_encoded_sdp".to_owned(),
    };
    let offer =
        r#"{ "type": "SDP_OFFER", "payload": { "to": "user_id", "sdp": "base64_encoded_sdp" } }"#;
    golden(offer, ClientMessage::SdpOffer(sdp.clone()));
    let answer =
        r#"{ "type": "SDP_ANSWER", "payload": { "to": "user_id", "sdp": "base64_encoded_sdp" } }"#;
    golden(answer, ClientMessage::SdpAnswer(sdp));
}

#[test]
fn ice_candidate_10_3() {
    // The seed writes `{ /* ICE candidate object */ }`: filled with an `RTCIceCandidateInit`.
    let example = r#"{ "type": "ICE_CANDIDATE", "payload": { "to": "user_id", "candidate": { /* ICE candidate object */ } } }"#;
    let text = fill(
        example,
        "{ /* ICE candidate object */ }",
        &ice_candidate().to_string(),
    );
    let want = ClientMessage::IceCandidate(IceToPeer {
        to: id("user_id"),
        candidate: ice_candidate(),
    });
    golden(&text, want);
}

#[test]
fn ice_failed_11_1() {
    let text = r#"{ "type": "ICE_FAILED", "payload": { "peer_id": "user_id" } }"#;
    golden(
        text,
        ClientMessage::IceFailed(IceFailed {
            peer_id: id("user_id"),
        }),
    );
}

#[test]
fn sfu_connected_12_2() {
    let text = r#"{ "type": "SFU_CONNECTED", "payload": { "zone_id": "uuid" } }"#;
    golden(
        text,
        ClientMessage::SfuConnected(SfuConnected {
            zone_id: id("uuid"),
        }),
    );
}

#[test]
fn sfu_disconnected_12_3_each_reason() {
    // The seed writes `"reason": "error | manual"`: one run per value.
    let example = r#"{ "type": "SFU_DISCONNECTED", "payload": { "zone_id": "uuid", "reason": "error | manual" } }"#;
    for (text, reason) in [
        ("error", SfuDisconnectReason::Error),
        ("manual", SfuDisconnectReason::Manual),
    ] {
        let want = ClientMessage::SfuDisconnected(SfuDisconnected {
            zone_id: id("uuid"),
            reason,
        });
        golden(&fill(example, "error | manual", text), want);
    }
}

#[test]
fn error_14_1_from_a_client() {
    // The seed writes `"code": "AUTH_FAILED | INVALID_REQUEST | ..."`: filled with one code.
    let example = r#"{
      "type": "ERROR",
      "payload": {
        "code": "AUTH_FAILED | INVALID_REQUEST | RATE_LIMITED | SERVER_ERROR",
        "message": "Human-readable error message",
        "details": {}
      }
    }"#;
    let text = fill(
        example,
        "AUTH_FAILED | INVALID_REQUEST | RATE_LIMITED | SERVER_ERROR",
        "SERVER_ERROR",
    );
    let want = ClientMessage::Error(ErrorPayload::new(
        ErrorCode::ServerError,
        "Human-readable error message",
    ));
    golden(&text, want);
}

#[test]
fn moderation_15() {
    let mute =
        r#"{ "type": "MUTE_USER", "payload": { "target_user_id": "uuid", "duration": 300 } }"#;
    let want = ClientMessage::MuteUser(MuteUser {
        target_user_id: id("uuid"),
        duration: 300,
    });
    golden(mute, want);

    let remove = r#"{ "type": "REMOVE_FROM_ZONE", "payload": { "target_user_id": "uuid", "zone_id": "uuid" } }"#;
    let want = ClientMessage::RemoveFromZone(RemoveFromZone {
        target_user_id: id("uuid"),
        zone_id: id("uuid"),
    });
    golden(remove, want);

    let kick = r#"{ "type": "KICK_FROM_WORLD", "payload": { "target_user_id": "uuid", "world_id": "uuid" } }"#;
    let want = ClientMessage::KickFromWorld(KickFromWorld {
        target_user_id: id("uuid"),
        world_id: id("uuid"),
    });
    golden(kick, want);
}
