//! Golden tests: the JSON examples of seeds 002/003 and SPEC section 4, decoded (client -> SFU) or
//! encoded and compared as `serde_json::Value` (SFU -> client).

use serde_json::{Value, json};

use super::*;
use crate::ids::{ChannelId, UserId};

const USER: UserId = UserId(2230469276416868352);
const CHANNEL: ChannelId = ChannelId(2230469276416868352);

pub(super) fn decode(text: &str) -> ClientMessage {
    decode_client(text).unwrap_or_else(|e| panic!("{text} must decode, got error: {e}"))
}

/// Encodes `msg`, parses the text back and compares it with `want` (a JSON literal).
fn assert_encodes(msg: &ServerMessage, want: &str) {
    let want: Value = serde_json::from_str(want).expect("the expected literal is JSON");
    let text = msg.to_json();
    let got: Value = serde_json::from_str(&text).expect("to_json writes JSON");
    assert_eq!(got, want, "{} encodes as {text}", msg.name());
    let via_serialize = serde_json::to_value(msg).expect("Serialize agrees with to_json");
    assert_eq!(
        via_serialize,
        want,
        "Serialize and to_json disagree for {}",
        msg.name()
    );
}

#[test]
fn seed_003_client_examples_decode() {
    let cases = [
        (
            r#"{ "op": 7, "t": 505, "d": { "muted": true } }"#,
            ClientMessage::MuteSelf(MuteSelf { muted: true }),
        ),
        (
            r#"{ "op": 7, "t": 506, "d": { "user": 2230469276416868352, "muted": true } }"#,
            ClientMessage::MuteUser(MuteUser {
                user: USER,
                muted: true,
            }),
        ),
        (
            r#"{ "op": 7, "t": 507, "d": { "user": 2230469276416868352, "muted": true } }"#,
            ClientMessage::ServerMute(ServerMute {
                user: USER,
                muted: true,
            }),
        ),
        (
            r#"{ "op": 7, "t": 508, "d": { "user": 2230469276416868352, "deafened": true } }"#,
            ClientMessage::ServerDeafen(ServerDeafen {
                user: USER,
                deafened: true,
            }),
        ),
        // The browser example's `JSON.stringify({ op: 7, t: 506, d: {...} })`.
        (
            r#"{"op":7,"t":506,"d":{"user":2230469276416868352,"muted":true}}"#,
            ClientMessage::MuteUser(MuteUser {
                user: USER,
                muted: true,
            }),
        ),
        (r#"{ "event": "negotiate" }"#, ClientMessage::Negotiate),
        (
            r#"{ "event": "speaking", "data": "1" }"#,
            ClientMessage::Speaking(Speaking { speaking: true }),
        ),
        (
            r#"{ "event": "speaking", "data": "0" }"#,
            ClientMessage::Speaking(Speaking { speaking: false }),
        ),
        (
            r#"{ "event": "speaking", "data": "{\"speaking\":1}" }"#,
            ClientMessage::Speaking(Speaking { speaking: true }),
        ),
        // The S->C speaking example, sent by a client: `user_id` is ignored.
        (
            r#"{ "op": 7, "t": 514, "d": { "user_id": 2230469276416868352, "speaking": 1 } }"#,
            ClientMessage::Speaking(Speaking { speaking: true }),
        ),
    ];
    for (text, want) in cases {
        assert_eq!(decode(text), want, "seed example {text}");
    }
}

#[test]
fn seed_003_gateway_events_are_not_sfu_events() {
    for t in [509u16, 513] {
        let text = format!(r#"{{ "op": 7, "t": {t}, "d": {{ "channel": 2230469276416868352 }} }}"#);
        let err = decode_client(&text).expect_err("t 509/513 belong to the WS gateway");
        assert_eq!(err, DecodeError::UnknownEvent { op: 7, t: Some(t) });
        let reply = err.reply().expect("an unknown event gets a reply");
        let got: Value = serde_json::from_str(&reply.to_json()).expect("JSON");
        assert_eq!(got["op"], 7);
        assert_eq!(got["t"], t);
        assert_eq!(got["d"]["error"], "unsupported");
    }
}

#[test]
fn spec_client_examples_decode() {
    let join = r#"{"op":7,"t":500,"d":{"channel":2230469276416868352,"token":"tok"}}"#;
    let want_join = Join {
        channel: CHANNEL,
        token: "tok".to_owned(),
    };
    assert_eq!(decode(join), ClientMessage::Join(want_join));

    let offer = r#"{"op":7,"t":501,"d":{"sdp":"v=0\r\n","type":"offer"}}"#;
    let want = SessionDescription {
        sdp: "v=0\r\n".to_owned(),
        kind: Some(SdpType::Offer),
    };
    assert_eq!(decode(offer), ClientMessage::Offer(want));
    let answer = r#"{"op":7,"t":502,"d":{"sdp":"v=0\r\n"}}"#;
    assert_eq!(
        decode(answer),
        ClientMessage::Answer(SessionDescription::new("v=0\r\n"))
    );

    let cand = r#"{"op":7,"t":503,"d":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"abcd"}}"#;
    let want = IceCandidate {
        candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host".to_owned(),
        sdp_mid: Some("0".to_owned()),
        sdp_m_line_index: Some(0),
    };
    assert_eq!(decode(cand), ClientMessage::Candidate(want));
    let bare = r#"{"op":7,"t":503,"d":{"candidate":"","sdpMid":null}}"#;
    let want = IceCandidate {
        candidate: String::new(),
        sdp_mid: None,
        sdp_m_line_index: None,
    };
    assert_eq!(decode(bare), ClientMessage::Candidate(want));

    for leave in [
        r#"{"op":7,"t":504,"d":{}}"#,
        r#"{"op":7,"t":504}"#,
        r#"{"op":7,"t":504,"d":null}"#,
    ] {
        assert_eq!(decode(leave), ClientMessage::Leave, "{leave}");
    }

    let kick = r#"{"op":7,"t":510,"d":{"user":2230469276416868352}}"#;
    assert_eq!(decode(kick), ClientMessage::Kick(Kick { user: USER }));
    let mv = r#"{"op":7,"t":512,"d":{"user":"2230469276416868352","channel":42}}"#;
    let want = MoveUser {
        user: USER,
        channel: ChannelId(42),
    };
    assert_eq!(decode(mv), ClientMessage::Move(want));

    let hb = r#"{"op":2,"d":{"nonce":"abc","ts":1700000000000}}"#;
    let want = Heartbeat {
        nonce: Some(json!("abc")),
        ts: Some(json!(1700000000000i64)),
    };
    assert_eq!(decode(hb), ClientMessage::Heartbeat(want));
    assert_eq!(
        decode(r#"{"op":2}"#),
        ClientMessage::Heartbeat(Heartbeat::default())
    );
}

#[test]
fn pion_simple_answer_and_candidate_decode() {
    let answer = r#"{"event":"answer","data":"{\"type\":\"answer\",\"sdp\":\"v=0\\r\\n\"}"}"#;
    let want = SessionDescription {
        sdp: "v=0\r\n".to_owned(),
        kind: Some(SdpType::Answer),
    };
    assert_eq!(decode(answer), ClientMessage::Answer(want));

    let cand = r#"{"event":"candidate","data":"{\"candidate\":\"candidate:1 1 udp 1 10.0.0.1 9 typ host\",\"sdpMid\":\"0\",\"sdpMLineIndex\":0}"}"#;
    let want = IceCandidate {
        candidate: "candidate:1 1 udp 1 10.0.0.1 9 typ host".to_owned(),
        sdp_mid: Some("0".to_owned()),
        sdp_m_line_index: Some(0),
    };
    assert_eq!(decode(cand), ClientMessage::Candidate(want));
}

#[test]
fn join_acks_encode() {
    assert_encodes(
        &ServerMessage::JoinAck(JoinAck::ok()),
        r#"{"op":7,"t":500,"d":{"ok":true}}"#,
    );
    let codes = [
        (JoinErrorCode::InvalidMessage, "invalid_message"),
        (JoinErrorCode::ExpectedJoin, "expected_join"),
        (JoinErrorCode::Unauthorized, "unauthorized"),
        (JoinErrorCode::Forbidden, "forbidden"),
        (JoinErrorCode::Blocked, "blocked"),
        (JoinErrorCode::Full, "full"),
    ];
    for (code, text) in codes {
        let want = format!(r#"{{"op":7,"t":500,"d":{{"ok":false,"error":"{text}"}}}}"#);
        assert_encodes(&ServerMessage::JoinAck(JoinAck::rejected(code)), &want);
    }
}

#[test]
fn negotiation_messages_encode() {
    // The variant decides `type`, whatever `kind` says.
    let offer = SessionDescription {
        sdp: "v=0\r\n".to_owned(),
        kind: Some(SdpType::Answer),
    };
    assert_encodes(
        &ServerMessage::Offer(offer),
        r#"{"op":7,"t":501,"d":{"sdp":"v=0\r\n","type":"offer"}}"#,
    );
    assert_encodes(
        &ServerMessage::Answer(SessionDescription::new("v=0\r\n")),
        r#"{"op":7,"t":502,"d":{"sdp":"v=0\r\n","type":"answer"}}"#,
    );
    let full = IceCandidate {
        candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host".to_owned(),
        sdp_mid: Some("0".to_owned()),
        sdp_m_line_index: Some(0),
    };
    assert_encodes(
        &ServerMessage::Candidate(full),
        r#"{"op":7,"t":503,"d":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":0}}"#,
    );
    let bare = IceCandidate {
        candidate: "candidate:2".to_owned(),
        sdp_mid: None,
        sdp_m_line_index: None,
    };
    assert_encodes(
        &ServerMessage::Candidate(bare),
        r#"{"op":7,"t":503,"d":{"candidate":"candidate:2"}}"#,
    );
}

#[test]
fn notifications_encode() {
    let cases = [
        (
            ServerMessage::SelfMuted(SelfMuted {
                user_id: USER,
                muted: true,
            }),
            r#"{"op":7,"t":505,"d":{"user_id":2230469276416868352,"muted":true}}"#,
        ),
        (
            ServerMessage::ServerMuted(ServerMuted {
                user_id: USER,
                muted: false,
            }),
            r#"{"op":7,"t":507,"d":{"user_id":2230469276416868352,"muted":false}}"#,
        ),
        (
            ServerMessage::Deafened(Deafened {
                user_id: USER,
                deafened: true,
            }),
            r#"{"op":7,"t":508,"d":{"user_id":2230469276416868352,"deafened":true}}"#,
        ),
        (
            ServerMessage::Kicked(Kicked::new(USER)),
            r#"{"op":7,"t":510,"d":{"user_id":2230469276416868352,"reason":"kicked"}}"#,
        ),
        (
            ServerMessage::Moved(Moved {
                channel: CHANNEL,
                sfu_token: None,
            }),
            r#"{"op":7,"t":512,"d":{"channel":2230469276416868352}}"#,
        ),
        (
            ServerMessage::Moved(Moved {
                channel: ChannelId(7),
                sfu_token: Some("jwt".to_owned()),
            }),
            r#"{"op":7,"t":512,"d":{"channel":7,"sfu_token":"jwt"}}"#,
        ),
        // Seed 003 "Speaking indicator".
        (
            ServerMessage::Speaking(UserSpeaking {
                user_id: USER,
                speaking: true,
            }),
            r#"{ "op": 7, "t": 514, "d": { "user_id": 2230469276416868352, "speaking": 1 } }"#,
        ),
        (
            ServerMessage::Speaking(UserSpeaking {
                user_id: USER,
                speaking: false,
            }),
            r#"{"op":7,"t":514,"d":{"user_id":2230469276416868352,"speaking":0}}"#,
        ),
    ];
    for (msg, want) in &cases {
        assert_encodes(msg, want);
    }
}

#[test]
fn pongs_and_errors_encode() {
    let bare = Pong {
        server_ts: 1700000000123,
        nonce: None,
        ts: None,
    };
    assert_encodes(
        &ServerMessage::Pong(bare),
        r#"{"op":2,"d":{"pong":true,"server_ts":1700000000123}}"#,
    );
    let echo = Pong {
        server_ts: 5,
        nonce: Some(json!({"a": [1, "x"]})),
        ts: Some(json!(1700000000000i64)),
    };
    assert_encodes(
        &ServerMessage::Pong(echo),
        r#"{"op":2,"d":{"pong":true,"server_ts":5,"nonce":{"a":[1,"x"]},"ts":1700000000000}}"#,
    );

    let codes = [
        (ErrorCode::InvalidMessage, "invalid_message"),
        (ErrorCode::PermissionDenied, "permission_denied"),
        (ErrorCode::NotFound, "not_found"),
        (ErrorCode::RateLimited, "rate_limited"),
        (ErrorCode::Unsupported, "unsupported"),
    ];
    for (code, text) in codes {
        let reply = ErrorReply {
            op: 7,
            t: Some(507),
            code,
            message: "no".to_owned(),
        };
        let want = format!(r#"{{"op":7,"t":507,"d":{{"error":"{text}","message":"no"}}}}"#);
        assert_encodes(&ServerMessage::Error(reply), &want);
    }
    let op0 = ErrorReply {
        op: 0,
        t: None,
        code: ErrorCode::InvalidMessage,
        message: "invalid JSON".to_owned(),
    };
    assert_encodes(
        &ServerMessage::Error(op0),
        r#"{"op":0,"d":{"error":"invalid_message","message":"invalid JSON"}}"#,
    );
}

#[test]
fn error_reply_to_a_request_uses_its_route() {
    let request = decode(r#"{"op":7,"t":507,"d":{"user":1,"muted":true}}"#);
    let reply = ErrorReply::to(&request, ErrorCode::PermissionDenied, "needs MuteMembers");
    assert_encodes(
        &ServerMessage::Error(reply),
        r#"{"op":7,"t":507,"d":{"error":"permission_denied","message":"needs MuteMembers"}}"#,
    );
    assert_eq!(decode(r#"{"op":2}"#).route(), (2, None));
    assert_eq!(ClientMessage::Negotiate.route(), (0, None));
}

#[test]
fn names_are_snake_case() {
    let hb = decode(r#"{"op":2}"#);
    let mute = decode(r#"{"op":7,"t":507,"d":{"user":1,"muted":true}}"#);
    assert_eq!(hb.name(), "heartbeat");
    assert_eq!(mute.name(), "server_mute");
    assert_eq!(ClientMessage::Leave.name(), "leave");
    assert_eq!(ServerMessage::JoinAck(JoinAck::ok()).name(), "join_ack");
    let pong = ServerMessage::Pong(Pong {
        server_ts: 0,
        nonce: None,
        ts: None,
    });
    assert_eq!(pong.name(), "pong");
}

#[test]
fn debug_output_hides_tokens() {
    let join = decode(r#"{"op":7,"t":500,"d":{"channel":"5","token":"secret-jwt"}}"#);
    let moved = Moved {
        channel: ChannelId(5),
        sfu_token: Some("secret-jwt".to_owned()),
    };
    for shown in [format!("{join:?}"), format!("{moved:?}")] {
        assert!(
            !shown.contains("secret-jwt"),
            "token leaked into Debug: {shown}"
        );
    }
}
