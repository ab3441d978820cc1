//! [`decode_server`]: every [`ServerMessage`] round-trips through `to_json`, GoChat's legacy
//! frames decode, malformed frames are rejected, and mutated frames never panic.

use serde_json::json;

use super::wire_fuzz_tests::{XorShift, mutate};
use super::*;
use crate::ids::{ChannelId, UserId};

const USER: UserId = UserId(2230469276416868352);

fn decode(text: &str) -> ServerMessage {
    decode_server(text).unwrap_or_else(|e| panic!("{text} must decode, got error: {e}"))
}

fn reject(text: &str) -> DecodeError {
    match decode_server(text) {
        Ok(msg) => panic!("{text} must be rejected, decoded as {msg:?}"),
        Err(err) => err,
    }
}

/// Names every variant, so a new one does not compile until [`every_variant`] covers it.
fn variant(msg: &ServerMessage) -> &'static str {
    match msg {
        ServerMessage::JoinAck(_)
        | ServerMessage::Offer(_)
        | ServerMessage::Answer(_)
        | ServerMessage::Candidate(_)
        | ServerMessage::SelfMuted(_)
        | ServerMessage::ServerMuted(_)
        | ServerMessage::Deafened(_)
        | ServerMessage::Kicked(_)
        | ServerMessage::Moved(_)
        | ServerMessage::Speaking(_)
        | ServerMessage::Pong(_)
        | ServerMessage::Error(_) => msg.name(),
    }
}

/// Samples of every variant. Descriptions carry the `kind` the variant writes, so they round-trip.
fn every_variant() -> Vec<ServerMessage> {
    let sdp = |kind| SessionDescription {
        sdp: "v=0\r\n".to_owned(),
        kind: Some(kind),
    };
    let mut all = vec![ServerMessage::JoinAck(JoinAck::ok())];
    all.extend(
        [
            JoinErrorCode::InvalidMessage,
            JoinErrorCode::ExpectedJoin,
            JoinErrorCode::Unauthorized,
            JoinErrorCode::Forbidden,
            JoinErrorCode::Blocked,
            JoinErrorCode::Full,
        ]
        .map(|code| ServerMessage::JoinAck(JoinAck::rejected(code))),
    );
    all.extend([
        ServerMessage::Offer(sdp(SdpType::Offer)),
        ServerMessage::Answer(sdp(SdpType::Answer)),
        ServerMessage::Candidate(IceCandidate {
            candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host".to_owned(),
            sdp_mid: Some("0".to_owned()),
            sdp_m_line_index: Some(0),
        }),
        ServerMessage::Candidate(IceCandidate {
            candidate: "candidate:2".to_owned(),
            sdp_mid: None,
            sdp_m_line_index: None,
        }),
        ServerMessage::SelfMuted(SelfMuted {
            user_id: USER,
            muted: true,
        }),
        ServerMessage::ServerMuted(ServerMuted {
            user_id: USER,
            muted: false,
        }),
        ServerMessage::Deafened(Deafened {
            user_id: USER,
            deafened: true,
        }),
        ServerMessage::Kicked(Kicked::new(USER)),
        ServerMessage::Kicked(Kicked {
            user_id: UserId(3),
            reason: "blocked".to_owned(),
        }),
        ServerMessage::Moved(Moved {
            channel: ChannelId(7),
            sfu_token: None,
        }),
        ServerMessage::Moved(Moved {
            channel: ChannelId(7),
            sfu_token: Some("jwt".to_owned()),
        }),
        ServerMessage::Speaking(UserSpeaking {
            user_id: USER,
            speaking: true,
        }),
        ServerMessage::Speaking(UserSpeaking {
            user_id: USER,
            speaking: false,
        }),
        ServerMessage::Pong(Pong {
            server_ts: 1700000000123,
            nonce: None,
            ts: None,
        }),
        ServerMessage::Pong(Pong {
            server_ts: 5,
            nonce: Some(json!({"a": [1, "x"]})),
            ts: Some(json!(1700000000000i64)),
        }),
    ]);
    let codes = [
        ErrorCode::InvalidMessage,
        ErrorCode::PermissionDenied,
        ErrorCode::NotFound,
        ErrorCode::RateLimited,
        ErrorCode::Unsupported,
    ];
    all.extend(codes.map(|code| {
        ServerMessage::Error(ErrorReply {
            op: 7,
            t: Some(507),
            code,
            message: "no".to_owned(),
        })
    }));
    for (op, t) in [
        (0, None),
        (2, None),
        (7, Some(501)),
        (7, Some(509)),
        (5, None),
    ] {
        all.push(ServerMessage::Error(ErrorReply {
            op,
            t,
            code: ErrorCode::InvalidMessage,
            message: "bad".to_owned(),
        }));
    }
    all
}

#[test]
fn every_server_message_round_trips() {
    let all = every_variant();
    for msg in &all {
        let text = msg.to_json();
        assert_eq!(&decode(&text), msg, "{text}");
    }
    let covered: std::collections::BTreeSet<_> = all.iter().map(variant).collect();
    assert_eq!(covered.len(), 12, "every variant has a sample: {covered:?}");
}

#[test]
fn decoder_reads_the_spec_examples() {
    let offer = decode(r#"{"op":7,"t":501,"d":{"sdp":"v=0","type":"offer"}}"#);
    let want = SessionDescription {
        sdp: "v=0".to_owned(),
        kind: Some(SdpType::Offer),
    };
    assert_eq!(offer, ServerMessage::Offer(want));
    let speaking =
        r#"{ "op": 7, "t": 514, "d": { "user_id": 2230469276416868352, "speaking": 1 } }"#;
    let want = UserSpeaking {
        user_id: USER,
        speaking: true,
    };
    assert_eq!(decode(speaking), ServerMessage::Speaking(want));
    // `speaking` as a boolean, ids as strings, a `null` echo, and an unused `t` on the pong.
    let as_bool = r#"{"op":7,"t":514,"d":{"user_id":"2230469276416868352","speaking":false}}"#;
    let want = UserSpeaking {
        user_id: USER,
        speaking: false,
    };
    assert_eq!(decode(as_bool), ServerMessage::Speaking(want));
    let pong = r#"{"op":2,"t":0,"d":{"pong":true,"server_ts":9,"nonce":null,"ts":"x"}}"#;
    let want = Pong {
        server_ts: 9,
        nonce: None,
        ts: Some(json!("x")),
    };
    assert_eq!(decode(pong), ServerMessage::Pong(want));
}

#[test]
fn gochat_legacy_join_refusals() {
    let cases = [
        ("invalid message", JoinErrorCode::InvalidMessage),
        ("expected join", JoinErrorCode::ExpectedJoin),
        ("unauthorized", JoinErrorCode::Unauthorized),
        ("blocked", JoinErrorCode::Blocked),
        ("Expected-Join", JoinErrorCode::ExpectedJoin),
        (" full ", JoinErrorCode::Full),
        ("aud/typ mismatch", JoinErrorCode::Unauthorized),
        ("", JoinErrorCode::Unauthorized),
    ];
    for (error, code) in cases {
        let text = json!({"op": 7, "t": 500, "d": {"error": error}}).to_string();
        let want = ServerMessage::JoinAck(JoinAck::rejected(code));
        assert_eq!(decode(&text), want, "{text}");
        // A `message`, as our error replies have, changes nothing on t 500.
        let text = json!({"op":7,"t":500,"d":{"ok":false,"error":error,"message":"m"}}).to_string();
        assert_eq!(decode(&text), want, "{text}");
    }
    let no_reason = decode(r#"{"op":7,"t":500,"d":{"ok":false}}"#);
    let want = JoinAck::rejected(JoinErrorCode::Unauthorized);
    assert_eq!(no_reason, ServerMessage::JoinAck(want));
    let ok = decode(r#"{"op":7,"t":500,"d":{"ok":true,"session":"x"}}"#);
    assert_eq!(ok, ServerMessage::JoinAck(JoinAck::ok()));
}

#[test]
fn gochat_legacy_notifications() {
    // gen 2 kick (and the admin close) carries no `reason`.
    let kick = decode(r#"{"op":7,"t":510,"d":{"user_id":2230469276416868352}}"#);
    assert_eq!(kick, ServerMessage::Kicked(Kicked::new(USER)));
    // The gateway's move notice also carries `sfu_url`.
    let moved =
        decode(r#"{"op":7,"t":512,"d":{"channel":"7","sfu_url":"wss://x","sfu_token":"j"}}"#);
    let want = Moved {
        channel: ChannelId(7),
        sfu_token: Some("j".to_owned()),
    };
    assert_eq!(moved, ServerMessage::Moved(want));
    // A GoChat answer without `type`.
    let answer = decode(r#"{"op":7,"t":502,"d":{"sdp":"v=0"}}"#);
    assert_eq!(
        answer,
        ServerMessage::Answer(SessionDescription::new("v=0"))
    );
}

#[test]
fn error_replies_on_any_route() {
    let e = decode(r#"{"op":0,"d":{"error":"invalid_message"}}"#);
    let want = ErrorReply {
        op: 0,
        t: None,
        code: ErrorCode::InvalidMessage,
        message: String::new(),
    };
    assert_eq!(e, ServerMessage::Error(want));
    // An error on a notification's route is an error, not the notification.
    let e =
        decode(r#"{"op":7,"t":505,"d":{"error":"permission denied","message":"m","muted":true}}"#);
    let want = ErrorReply {
        op: 7,
        t: Some(505),
        code: ErrorCode::PermissionDenied,
        message: "m".to_owned(),
    };
    assert_eq!(e, ServerMessage::Error(want));
    // A non-string `error` is not an error reply; the payload decodes as usual.
    let m = decode(r#"{"op":7,"t":505,"d":{"error":1,"user_id":1,"muted":true}}"#);
    let want = SelfMuted {
        user_id: UserId(1),
        muted: true,
    };
    assert_eq!(m, ServerMessage::SelfMuted(want));
}

#[test]
fn malformed_server_frames_are_rejected() {
    let unknown = [
        (r#"{"op":7,"t":504,"d":{}}"#, 7, Some(504)),
        (
            r#"{"op":7,"t":506,"d":{"user":1,"muted":true}}"#,
            7,
            Some(506),
        ),
        (
            r#"{"op":7,"t":511,"d":{"user":1,"block":true}}"#,
            7,
            Some(511),
        ),
        (r#"{"op":7,"t":513,"d":{"channel":1}}"#, 7, Some(513)),
        (r#"{"op":5,"d":{}}"#, 5, None),
    ];
    for (text, op, t) in unknown {
        assert_eq!(reject(text), DecodeError::UnknownEvent { op, t }, "{text}");
    }
    let invalid = [
        (r#"{"op":7,"d":{}}"#, "missing `t`"),
        (r#"{"op":7,"t":505}"#, "missing `d`"),
        (
            r#"{"op":7,"t":505,"d":{"muted":true}}"#,
            "missing field `user_id`",
        ),
        (
            r#"{"op":7,"t":514,"d":{"user_id":1,"speaking":"1"}}"#,
            "speaking",
        ),
        (r#"{"op":7,"t":500,"d":{}}"#, "missing `ok` and `error`"),
        (r#"{"op":7,"t":500,"d":{"ok":"yes"}}"#, "invalid type"),
        (r#"{"op":7,"t":500,"d":[true]}"#, "must be an object"),
        (
            r#"{"op":7,"t":510,"d":{"error":"kicked"}}"#,
            "unknown error code \"kicked\"",
        ),
        (r#"{"op":0,"d":{"message":"m"}}"#, "missing field `error`"),
        (r#"{"op":0}"#, "missing `d`"),
        (
            r#"{"op":2,"d":{"pong":false,"server_ts":1}}"#,
            "`pong` must be true",
        ),
        (r#"{"op":2,"d":{"pong":true}}"#, "missing field `server_ts`"),
        (
            r#"{"op":2,"d":{"pong":true,"server_ts":1.5}}"#,
            "invalid type",
        ),
    ];
    for (text, reason) in invalid {
        let err = reject(text);
        assert!(
            matches!(err, DecodeError::InvalidPayload { .. }) && err.to_string().contains(reason),
            "{text}: want InvalidPayload with {reason:?}, got {err:?}"
        );
    }
    for text in [
        "",
        "[1]",
        "\"op\"",
        "{\"op\":7",
        "{\"t\":500}",
        "{\"op\":-1}",
    ] {
        let err = reject(text);
        assert!(
            matches!(
                err,
                DecodeError::NotJson { .. } | DecodeError::InvalidEnvelope { .. }
            ),
            "{text}: {err:?}"
        );
    }
}

#[test]
fn decoding_mutated_server_frames_never_panics() {
    let mut frames: Vec<String> = every_variant().iter().map(ServerMessage::to_json).collect();
    frames.extend(
        [
            r#"{"op":7,"t":500,"d":{"error":"expected join"}}"#,
            r#"{"op":7,"t":510,"d":{"user_id":"12"}}"#,
            r#"{"op":7,"t":514,"d":{"user_id":1,"speaking":true}}"#,
            r#"{"op":2,"d":{"pong":true,"server_ts":1,"nonce":{"a":[1,2]}}}"#,
        ]
        .map(str::to_owned),
    );
    let mut rng = XorShift(0xD1B5_4A32_D192_ED03);
    let (mut decoded, mut rejected) = (0u32, 0u32);
    for _ in 0..5000 {
        let frame = &frames[rng.below(frames.len())];
        let text = mutate(&mut rng, frame);
        match decode_server(&text) {
            Ok(msg) => {
                decoded += 1;
                // Whatever decoded encodes again and decodes to the same variant.
                let again = msg.to_json();
                assert_eq!(
                    decode_server(&again).ok().as_ref().map(variant),
                    Some(variant(&msg))
                );
            }
            Err(err) => {
                rejected += 1;
                assert!(!err.to_string().is_empty());
            }
        }
    }
    assert!(
        decoded > 100 && rejected > 100,
        "mutations too mild or too harsh: {decoded} ok, {rejected} rejected"
    );
    let deep = format!(
        r#"{{"op":2,"d":{{"pong":true,"server_ts":1,"nonce":{}1{}}}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert!(matches!(reject(&deep), DecodeError::NotJson { .. }));
}
