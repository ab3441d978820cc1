//! "Never panics" runs: mutated valid frames through both decoders ([`crate::mutation`]).
//! Whatever decodes must round-trip; whatever fails must have no reply or a seed 000 error reply
//! that is valid JSON.

use super::fixtures::{all_main_to_sfu, all_sfu_to_main, parse};
use super::*;

use crate::mutation::run_round_trips;

/// Keys of this protocol spliced into frames besides the common JSON fragments.
const TOKENS: [&[u8]; 3] = [b"\"type\":", b"\"error\"", b"\"userId\":7,"];

/// Checks a decode error's reply: none, or `{"type":"error","data":...}` with one of the seed's
/// prefixes.
fn check_reply(err: &InteropDecodeError, text: &str) {
    let Some(reply) = err.reply() else {
        let silent = match err {
            InteropDecodeError::NotJson { .. } | InteropDecodeError::PeerError(_) => true,
            InteropDecodeError::InvalidFields { message_type, .. } => message_type == "error",
            InteropDecodeError::MissingType | InteropDecodeError::UnknownType(_) => false,
        };
        assert!(silent, "{err:?} must have a reply ({text})");
        return;
    };
    let frame = parse(&reply.to_json());
    assert_eq!(frame["type"], "error", "{text}");
    let data = frame["data"].as_str().unwrap_or_default();
    assert!(
        data.starts_with("Invalid message format: ") || data.starts_with("Unknown message type: "),
        "unexpected reply {data:?} to {text}"
    );
}

#[test]
fn decode_sfu_to_main_never_panics_on_mutated_frames() {
    let mut frames: Vec<String> = all_sfu_to_main().iter().map(SfuToMain::to_json).collect();
    frames.push(InteropError::new("boom").to_json());
    run_round_trips(
        0x9E37_79B9_7F4A_7C15,
        &frames,
        &TOKENS,
        decode_sfu_to_main,
        SfuToMain::to_json,
        check_reply,
    );
}

#[test]
fn decode_main_to_sfu_never_panics_on_mutated_frames() {
    let mut frames: Vec<String> = all_main_to_sfu().iter().map(MainToSfu::to_json).collect();
    frames.push(InteropError::new("boom").to_json());
    run_round_trips(
        0x2545_F491_4F6C_DD1D,
        &frames,
        &TOKENS,
        decode_main_to_sfu,
        MainToSfu::to_json,
        check_reply,
    );
}

#[test]
fn deep_nesting_is_rejected_not_a_stack_overflow() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(matches!(
        decode_main_to_sfu(&deep),
        Err(InteropDecodeError::NotJson { .. })
    ));
    let deep_field = format!(
        r#"{{"type":"sfu_status","status":"ok","details":{}1{}}}"#,
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert!(matches!(
        decode_sfu_to_main(&deep_field),
        Err(InteropDecodeError::NotJson { .. })
    ));
}
