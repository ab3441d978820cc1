//! Decoder edge cases: the alternative spellings clients use, malformed frames with their error
//! replies, and a "never panics" run over mutated frames.

use serde_json::{Value, json};

use super::wire_tests::decode;
use super::*;
use crate::ids::{ChannelId, UserId};

/// Decodes `text`, expects an error, and returns it with its reply parsed as JSON.
pub(super) fn reject(text: &str) -> (DecodeError, Value) {
    let err = match decode_client(text) {
        Ok(msg) => panic!("{text} must be rejected, decoded as {msg:?}"),
        Err(err) => err,
    };
    let reply = err.reply().expect("every decode error has a reply");
    assert_eq!(reply.name(), "error");
    let reply = serde_json::from_str(&reply.to_json()).expect("the reply is JSON");
    (err, reply)
}

#[test]
fn channel_as_number_or_string() {
    for channel in ["42", "\"42\"", "\" 42 \""] {
        let text = format!(r#"{{"op":7,"t":500,"d":{{"channel":{channel},"token":"t"}}}}"#);
        let ClientMessage::Join(join) = decode(&text) else {
            panic!("{text} must be a join");
        };
        assert_eq!(join.channel, ChannelId(42), "channel written as {channel}");
    }
}

#[test]
fn block_target_as_user_or_user_id() {
    let want = ClientMessage::Block(Block {
        user: UserId(9),
        block: true,
    });
    assert_eq!(
        decode(r#"{"op":7,"t":511,"d":{"user":9,"block":true}}"#),
        want
    );
    assert_eq!(
        decode(r#"{"op":7,"t":511,"d":{"user_id":"9","block":true}}"#),
        want
    );
    let (err, _) = reject(r#"{"op":7,"t":511,"d":{"block":true}}"#);
    assert!(err.to_string().contains("missing field `user`"), "{err}");
}

#[test]
fn speaking_envelope_accepts_ints_and_bools() {
    for (d, want) in [("1", true), ("0", false), ("true", true), ("false", false)] {
        let text = format!(r#"{{"op":7,"t":514,"d":{{"speaking":{d}}}}}"#);
        assert_eq!(
            decode(&text),
            ClientMessage::Speaking(Speaking { speaking: want }),
            "{text}"
        );
    }
    let (err, reply) = reject(r#"{"op":7,"t":514,"d":{"speaking":"yes"}}"#);
    assert!(
        matches!(
            err,
            DecodeError::InvalidPayload {
                op: 7,
                t: Some(514),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(reply["d"]["error"], "invalid_message");
}

#[test]
fn speaking_simple_event_data_forms() {
    let cases = [
        (r#"{"event":"speaking","data":"1"}"#, true),
        (r#"{"event":"speaking","data":"\"1\""}"#, true),
        (r#"{"event":"speaking","data":"0"}"#, false),
        (r#"{"event":"speaking","data":"\"0\""}"#, false),
        (r#"{"event":"speaking","data":""}"#, false),
        (r#"{"event":"speaking"}"#, false),
        (r#"{"event":"speaking","data":"{\"speaking\":1}"}"#, true),
        (r#"{"event":"speaking","data":"{\"speaking\":7}"}"#, true),
        (r#"{"event":"speaking","data":"{\"speaking\":0}"}"#, false),
        (
            r#"{"event":"speaking","data":"{\"speaking\":\"1\"}"}"#,
            false,
        ),
        (r#"{"event":"speaking","data":"yes"}"#, false),
        (r#"{"event":"speaking","data":"[1]"}"#, false),
    ];
    for (text, want) in cases {
        assert_eq!(
            decode(text),
            ClientMessage::Speaking(Speaking { speaking: want }),
            "{text}"
        );
    }
    let (err, reply) = reject(r#"{"event":"speaking","data":1}"#);
    assert!(
        matches!(err, DecodeError::InvalidSimpleEvent { .. }),
        "{err:?}"
    );
    assert_eq!(
        reply,
        json!({"op":0,"d":{"error":"invalid_message","message":err.to_string()}})
    );
}

#[test]
fn negotiate_ignores_its_data() {
    for text in [
        r#"{"event":"negotiate","data":"whatever"}"#,
        r#"{"event":"negotiate","data":{"x":1}}"#,
    ] {
        assert_eq!(decode(text), ClientMessage::Negotiate, "{text}");
    }
}

#[test]
fn heartbeat_echoes_nonce_and_ts() {
    let nonces = [json!("n-1"), json!(12345), json!({"k": [true, null]})];
    for nonce in nonces {
        let text = json!({"op": 2, "d": {"nonce": nonce, "ts": 1700000000000i64}}).to_string();
        let ClientMessage::Heartbeat(hb) = decode(&text) else {
            panic!("{text} must be a heartbeat");
        };
        let pong = ServerMessage::Pong(Pong {
            server_ts: 99,
            nonce: hb.nonce,
            ts: hb.ts,
        });
        let got: Value = serde_json::from_str(&pong.to_json()).expect("JSON");
        let want =
            json!({"op":2,"d":{"pong":true,"server_ts":99,"nonce":nonce,"ts":1700000000000i64}});
        assert_eq!(got, want, "pong must echo nonce {nonce}");
    }
    let ClientMessage::Heartbeat(hb) = decode(r#"{"op":2,"d":{"ts":"x"}}"#) else {
        panic!("a heartbeat with only ts");
    };
    assert_eq!((hb.nonce, hb.ts), (None, Some(json!("x"))));
}

#[test]
fn not_json_and_not_objects() {
    for text in ["", "hello", "{\"op\":7", "[1,2]", "7", "\"op\"", "null"] {
        let (err, reply) = reject(text);
        assert!(
            matches!(err, DecodeError::NotJson { .. }),
            "{text:?} gave {err:?}"
        );
        assert_eq!(reply["op"], 0, "{text:?}");
        assert!(reply.get("t").is_none(), "{text:?}");
        assert_eq!(reply["d"]["error"], "invalid_message", "{text:?}");
        assert!(
            !reply["d"]["message"].as_str().unwrap_or("").is_empty(),
            "{text:?}"
        );
    }
    let (err, _) = reject("[1,2]");
    assert_eq!(
        err.to_string(),
        "a frame must be a JSON object, got an array"
    );
}

#[test]
fn envelopes_without_a_usable_op() {
    for text in [
        "{}",
        r#"{"event":""}"#,
        r#"{"event":5,"t":500}"#,
        r#"{"op":"7","t":500}"#,
        r#"{"op":-1}"#,
        r#"{"op":256}"#,
        r#"{"op":7.5}"#,
    ] {
        let (err, reply) = reject(text);
        assert!(
            matches!(err, DecodeError::InvalidEnvelope { .. }),
            "{text} gave {err:?}"
        );
        assert_eq!(reply["op"], 0, "{text}");
        assert_eq!(reply["d"]["error"], "invalid_message", "{text}");
    }
}

#[test]
fn rtc_without_t() {
    let (err, reply) = reject(r#"{"op":7}"#);
    assert!(
        matches!(err, DecodeError::InvalidPayload { op: 7, t: None, .. }),
        "{err:?}"
    );
    assert_eq!(
        reply,
        json!({"op":7,"d":{"error":"invalid_message","message":"op=7 payload: missing `t`"}})
    );
    let (err, _) = reject(r#"{"op":7,"t":"500","d":{}}"#);
    assert!(
        matches!(err, DecodeError::InvalidPayload { op: 7, t: None, .. }),
        "{err:?}"
    );
}

#[test]
fn wrong_payload_types() {
    let (err, reply) = reject(r#"{"op":7,"t":507,"d":{"user":"abc","muted":true}}"#);
    assert!(
        matches!(
            err,
            DecodeError::InvalidPayload {
                op: 7,
                t: Some(507),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(reply["op"], 7);
    assert_eq!(reply["t"], 507);
    assert_eq!(reply["d"]["error"], "invalid_message");
    let message = reply["d"]["message"].as_str().expect("message is a string");
    assert!(message.starts_with("op=7 t=507 payload:"), "{message}");

    let (err, _) = reject(r#"{"op":7,"t":507,"d":{"muted":true}}"#);
    assert_eq!(err.to_string(), "op=7 t=507 payload: missing field `user`");
    let (err, _) = reject(r#"{"op":7,"t":505,"d":{"muted":"yes"}}"#);
    assert!(
        matches!(err, DecodeError::InvalidPayload { t: Some(505), .. }),
        "{err:?}"
    );
    let (err, _) = reject(r#"{"op":7,"t":500,"d":{"channel":1}}"#);
    assert_eq!(err.to_string(), "op=7 t=500 payload: missing field `token`");
    let (err, _) = reject(r#"{"op":7,"t":505}"#);
    assert_eq!(err.to_string(), "op=7 t=505 payload: missing `d`");
    let (err, _) = reject(r#"{"op":7,"t":510,"d":[5]}"#);
    assert_eq!(
        err.to_string(),
        "op=7 t=510 payload: `d` must be an object, got an array"
    );
    let (err, _) = reject(r#"{"op":7,"t":504,"d":"bye"}"#);
    assert!(
        matches!(err, DecodeError::InvalidPayload { t: Some(504), .. }),
        "{err:?}"
    );
    let (err, reply) = reject(r#"{"op":2,"d":5}"#);
    assert!(
        matches!(err, DecodeError::InvalidPayload { op: 2, t: None, .. }),
        "{err:?}"
    );
    assert_eq!(reply["op"], 2);
    assert!(reply.get("t").is_none());
}

#[test]
fn unknown_events() {
    for (text, op, t) in [
        (r#"{"op":7,"t":999,"d":{}}"#, 7, Some(999)),
        (r#"{"op":7,"t":509,"d":{}}"#, 7, Some(509)),
        (r#"{"op":5,"d":{}}"#, 5, None),
        (r#"{"op":5,"t":12}"#, 5, Some(12)),
        (r#"{"op":0}"#, 0, None),
    ] {
        let (err, reply) = reject(text);
        assert_eq!(err, DecodeError::UnknownEvent { op, t }, "{text}");
        assert_eq!(reply["op"], op, "{text}");
        assert_eq!(
            reply.get("t").and_then(Value::as_u64),
            t.map(u64::from),
            "{text}"
        );
        assert_eq!(reply["d"]["error"], "unsupported", "{text}");
    }
}

#[test]
fn simple_event_errors() {
    let (err, reply) = reject(r#"{"event":"dance","data":"1"}"#);
    assert_eq!(err, DecodeError::UnknownSimpleEvent("dance".to_owned()));
    assert_eq!(reply["op"], 0);
    assert_eq!(reply["d"]["error"], "unsupported");
    let message = reply["d"]["message"].as_str().expect("message is a string");
    assert!(
        message.contains("dance"),
        "the reply must name the event: {message}"
    );

    for text in [
        r#"{"event":"answer"}"#,
        r#"{"event":"answer","data":"not json"}"#,
        r#"{"event":"answer","data":"[1]"}"#,
        r#"{"event":"answer","data":"{\"type\":\"answer\"}"}"#,
        r#"{"event":"candidate","data":"{\"sdpMid\":\"0\"}"}"#,
    ] {
        let (err, reply) = reject(text);
        assert!(
            matches!(err, DecodeError::InvalidSimpleEvent { .. }),
            "{text} gave {err:?}"
        );
        assert_eq!(reply["op"], 0, "{text}");
        assert_eq!(reply["d"]["error"], "invalid_message", "{text}");
    }
}
