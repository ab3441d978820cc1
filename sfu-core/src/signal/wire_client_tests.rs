//! Golden tests for [`ClientMessage::to_json`]: every variant encodes as the literal frame a client
//! sends (compared as `serde_json::Value`), and [`decode_client`] gives the message back.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::*;
use crate::ids::{ChannelId, UserId};

const USER: UserId = UserId(2230469276416868352);
const CHANNEL: ChannelId = ChannelId(2230469276416868352);

/// Encodes `msg`, compares the JSON with `want` (also via `Serialize`), then decodes it back.
fn assert_round_trip(msg: &ClientMessage, want: &str) {
    let want: Value = serde_json::from_str(want).expect("the expected literal is JSON");
    let text = msg.to_json();
    let got: Value = serde_json::from_str(&text).expect("to_json writes JSON");
    assert_eq!(got, want, "{} encodes as {text}", msg.name());
    let via_serialize = serde_json::to_value(msg).expect("Serialize agrees with to_json");
    assert_eq!(via_serialize, want, "Serialize and to_json disagree");
    match decode_client(&text) {
        Ok(back) => assert_eq!(&back, msg, "{text} decodes to another message"),
        Err(e) => panic!("{text} must decode, got error: {e}"),
    }
}

/// Names every variant, so a new one does not compile until [`every_variant`] covers it.
fn variant(msg: &ClientMessage) -> &'static str {
    match msg {
        ClientMessage::Join(_)
        | ClientMessage::Offer(_)
        | ClientMessage::Answer(_)
        | ClientMessage::Candidate(_)
        | ClientMessage::Leave
        | ClientMessage::MuteSelf(_)
        | ClientMessage::MuteUser(_)
        | ClientMessage::ServerMute(_)
        | ClientMessage::ServerDeafen(_)
        | ClientMessage::Kick(_)
        | ClientMessage::Block(_)
        | ClientMessage::Move(_)
        | ClientMessage::Speaking(_)
        | ClientMessage::Heartbeat(_)
        | ClientMessage::Negotiate => msg.name(),
    }
}

/// One or more samples of every variant with the exact frame it encodes as.
fn every_variant() -> Vec<(ClientMessage, &'static str)> {
    let sdp = |kind| SessionDescription {
        sdp: "v=0\r\n".to_owned(),
        kind: Some(kind),
    };
    vec![
        (
            ClientMessage::Join(Join {
                channel: CHANNEL,
                token: "abc.def".to_owned(),
            }),
            r#"{"op":7,"t":500,"d":{"channel":2230469276416868352,"token":"abc.def"}}"#,
        ),
        (
            ClientMessage::Offer(sdp(SdpType::Offer)),
            r#"{"op":7,"t":501,"d":{"sdp":"v=0\r\n","type":"offer"}}"#,
        ),
        (
            ClientMessage::Answer(sdp(SdpType::Answer)),
            r#"{"op":7,"t":502,"d":{"sdp":"v=0\r\n","type":"answer"}}"#,
        ),
        (
            ClientMessage::Candidate(IceCandidate {
                candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ host".to_owned(),
                sdp_mid: Some("0".to_owned()),
                sdp_m_line_index: Some(0),
            }),
            r#"{"op":7,"t":503,"d":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0","sdpMLineIndex":0}}"#,
        ),
        (
            ClientMessage::Candidate(IceCandidate {
                candidate: String::new(),
                sdp_mid: None,
                sdp_m_line_index: None,
            }),
            r#"{"op":7,"t":503,"d":{"candidate":""}}"#,
        ),
        (ClientMessage::Leave, r#"{"op":7,"t":504,"d":{}}"#),
        (
            ClientMessage::MuteSelf(MuteSelf { muted: true }),
            r#"{"op":7,"t":505,"d":{"muted":true}}"#,
        ),
        (
            ClientMessage::MuteUser(MuteUser {
                user: USER,
                muted: false,
            }),
            r#"{"op":7,"t":506,"d":{"user":2230469276416868352,"muted":false}}"#,
        ),
        (
            ClientMessage::ServerMute(ServerMute {
                user: USER,
                muted: true,
            }),
            r#"{"op":7,"t":507,"d":{"user":2230469276416868352,"muted":true}}"#,
        ),
        (
            ClientMessage::ServerDeafen(ServerDeafen {
                user: USER,
                deafened: true,
            }),
            r#"{"op":7,"t":508,"d":{"user":2230469276416868352,"deafened":true}}"#,
        ),
        (
            ClientMessage::Kick(Kick { user: USER }),
            r#"{"op":7,"t":510,"d":{"user":2230469276416868352}}"#,
        ),
        (
            ClientMessage::Block(Block {
                user: UserId(9),
                block: true,
            }),
            r#"{"op":7,"t":511,"d":{"user":9,"block":true}}"#,
        ),
        (
            ClientMessage::Move(MoveUser {
                user: USER,
                channel: ChannelId(42),
            }),
            r#"{"op":7,"t":512,"d":{"user":2230469276416868352,"channel":42}}"#,
        ),
        (
            ClientMessage::Speaking(Speaking { speaking: true }),
            r#"{"op":7,"t":514,"d":{"speaking":1}}"#,
        ),
        (
            ClientMessage::Speaking(Speaking { speaking: false }),
            r#"{"op":7,"t":514,"d":{"speaking":0}}"#,
        ),
        (
            ClientMessage::Heartbeat(Heartbeat {
                nonce: Some(json!({"a": [1, "x"]})),
                ts: Some(json!(1700000000000i64)),
            }),
            r#"{"op":2,"d":{"nonce":{"a":[1,"x"]},"ts":1700000000000}}"#,
        ),
        (
            ClientMessage::Heartbeat(Heartbeat::default()),
            r#"{"op":2,"d":{}}"#,
        ),
        (ClientMessage::Negotiate, r#"{"event":"negotiate"}"#),
    ]
}

#[test]
fn every_client_message_encodes_and_round_trips() {
    let cases = every_variant();
    for (msg, want) in &cases {
        assert_round_trip(msg, want);
    }
    let covered: BTreeSet<_> = cases.iter().map(|(msg, _)| variant(msg)).collect();
    assert_eq!(covered.len(), 15, "every variant has a sample: {covered:?}");
}

#[test]
fn envelope_numbers_match_the_constants() {
    for (msg, _) in every_variant() {
        let frame: Value = serde_json::from_str(&msg.to_json()).expect("JSON");
        if msg == ClientMessage::Negotiate {
            assert!(frame.get("op").is_none());
            continue;
        }
        let (op, t) = msg.route();
        assert_eq!(frame["op"], json!(op), "{}", msg.name());
        assert_eq!(
            frame.get("t").cloned(),
            t.map(|t| json!(t)),
            "{}",
            msg.name()
        );
    }
}

#[test]
fn variant_decides_the_sdp_type() {
    // A description without `type`, or with the wrong one, is written with the variant's type.
    let bare = ClientMessage::Offer(SessionDescription::new("v=0"));
    let got: Value = serde_json::from_str(&bare.to_json()).expect("JSON");
    assert_eq!(
        got,
        json!({"op":7,"t":501,"d":{"sdp":"v=0","type":"offer"}})
    );
    let wrong = ClientMessage::Answer(SessionDescription {
        sdp: "v=0".to_owned(),
        kind: Some(SdpType::Offer),
    });
    let got: Value = serde_json::from_str(&wrong.to_json()).expect("JSON");
    assert_eq!(got["d"]["type"], "answer");
}

#[test]
fn heartbeat_null_fields_are_omitted() {
    let hb = ClientMessage::Heartbeat(Heartbeat {
        nonce: Some(Value::Null),
        ts: Some(json!(5)),
    });
    let got: Value = serde_json::from_str(&hb.to_json()).expect("JSON");
    assert_eq!(got, json!({"op":2,"d":{"ts":5}}));
    // `null` decodes as absent, so the decoded message has `None`.
    let back = decode_client(&hb.to_json()).expect("decodes");
    let want = Heartbeat {
        nonce: None,
        ts: Some(json!(5)),
    };
    assert_eq!(back, ClientMessage::Heartbeat(want));
}

#[test]
fn join_token_is_written_but_not_debug_printed() {
    let join = ClientMessage::Join(Join {
        channel: ChannelId(5),
        token: "secret-jwt".to_owned(),
    });
    assert!(join.to_json().contains("\"token\":\"secret-jwt\""));
    let shown = format!("{join:?}");
    assert!(!shown.contains("secret-jwt"), "token leaked: {shown}");
}
