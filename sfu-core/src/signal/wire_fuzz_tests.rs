//! "Never panics" runs: mutated valid frames and pathological nesting through [`decode_client`].
//! [`mutate`] (with this protocol's keys) is shared with the `decode_server` run.

use serde_json::Value;

use super::wire_bad_input_tests::reject;
use super::*;

/// Keys of this protocol spliced into frames besides the common JSON fragments.
pub(super) const TOKENS: [&[u8]; 2] = [b"\"event\"", b"\"t\":"];

pub(super) use crate::mutation::XorShift;

pub(super) fn mutate(rng: &mut XorShift, frame: &str) -> String {
    crate::mutation::mutate(rng, frame, &TOKENS)
}

#[test]
fn decoding_mutated_frames_never_panics() {
    let frames = [
        r#"{"op":7,"t":500,"d":{"channel":"2230469276416868352","token":"abc.def"}}"#,
        r#"{"op":7,"t":501,"d":{"sdp":"v=0\r\n","type":"offer"}}"#,
        r#"{"op":7,"t":503,"d":{"candidate":"candidate:1","sdpMid":"0","sdpMLineIndex":0}}"#,
        r#"{"op":7,"t":504,"d":{}}"#,
        r#"{"op":7,"t":507,"d":{"user":2230469276416868352,"muted":true}}"#,
        r#"{"op":7,"t":511,"d":{"user_id":9,"block":false}}"#,
        r#"{"op":7,"t":512,"d":{"user":1,"channel":2}}"#,
        r#"{"op":7,"t":514,"d":{"speaking":1}}"#,
        r#"{"op":2,"d":{"nonce":{"a":[1,2]},"ts":1700000000000}}"#,
        r#"{"event":"speaking","data":"{\"speaking\":1}"}"#,
        r#"{"event":"answer","data":"{\"type\":\"answer\",\"sdp\":\"v=0\"}"}"#,
        r#"{"event":"negotiate"}"#,
    ];
    let mut rng = XorShift(0x9E37_79B9_7F4A_7C15);
    let (mut decoded, mut rejected) = (0u32, 0u32);
    for _ in 0..5000 {
        let frame = frames[rng.below(frames.len())];
        let text = mutate(&mut rng, frame);
        match decode_client(&text) {
            Ok(msg) => {
                decoded += 1;
                assert!(!msg.name().is_empty());
            }
            Err(err) => {
                rejected += 1;
                let reply = err.reply().expect("every decode error has a reply");
                serde_json::from_str::<Value>(&reply.to_json()).expect("replies are JSON");
            }
        }
    }
    assert!(
        decoded > 100 && rejected > 100,
        "mutations too mild or too harsh: {decoded} ok, {rejected} rejected"
    );
}

#[test]
fn deep_nesting_is_rejected_not_a_stack_overflow() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let (err, _) = reject(&deep);
    assert!(matches!(err, DecodeError::NotJson { .. }), "{err:?}");
    let deep_d = format!(
        r#"{{"op":2,"d":{{"nonce":{}1{}}}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let (err, _) = reject(&deep_d);
    assert!(matches!(err, DecodeError::NotJson { .. }), "{err:?}");
}
