//! "Never panics" runs: mutated valid frames through both decoders ([`crate::mutation`]).
//! Whatever decodes must also round-trip; whatever fails must have an `ERROR` reply that is
//! valid JSON.

use super::fixtures::{all_client_messages, all_server_messages, parse};
use super::*;

use crate::mutation::run_round_trips;

/// Keys of this protocol spliced into frames besides the common JSON fragments.
const TOKENS: [&[u8]; 3] = [b"\"type\":", b"\"protocol_version\":2,", b"\"payload\":{},"];

/// Checks a decode error's reply: an `ERROR` that parses as JSON.
fn check_reply(err: &WireError, text: &str) {
    let reply = err.to_error();
    assert_eq!(reply.name(), "ERROR", "{text}");
    let frame = parse(&reply.to_json());
    assert!(frame["payload"]["details"].is_object(), "{text}");
}

#[test]
fn decode_client_never_panics_on_mutated_frames() {
    let frames: Vec<String> = all_client_messages()
        .iter()
        .map(ClientMessage::to_json)
        .collect();
    run_round_trips(
        0x9E37_79B9_7F4A_7C15,
        &frames,
        &TOKENS,
        |text| decode_client(text).map(|envelope| envelope.message),
        ClientMessage::to_json,
        check_reply,
    );
}

#[test]
fn decode_server_never_panics_on_mutated_frames() {
    let frames: Vec<String> = all_server_messages()
        .iter()
        .map(ServerMessage::to_json)
        .collect();
    run_round_trips(
        0x2545_F491_4F6C_DD1D,
        &frames,
        &TOKENS,
        decode_server,
        ServerMessage::to_json,
        check_reply,
    );
}

#[test]
fn deep_nesting_is_rejected_not_a_stack_overflow() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(matches!(
        decode_client(&deep),
        Err(WireError::NotJson { .. })
    ));
    // Nested as deep as the parser allows, inside a field that takes any JSON.
    let candidate = format!("{}1{}", "[".repeat(120), "]".repeat(120));
    let text =
        format!(r#"{{"type":"ICE_CANDIDATE","payload":{{"to":"u","candidate":{candidate}}}}}"#);
    let got = decode_client(&text).expect("within the parser's limit");
    let ClientMessage::IceCandidate(ice) = got.message else {
        panic!("expected ICE_CANDIDATE");
    };
    assert!(ice.candidate.is_array());
    let too_deep = format!("{}1{}", "[".repeat(10_000), "]".repeat(10_000));
    let text =
        format!(r#"{{"type":"ICE_CANDIDATE","payload":{{"to":"u","candidate":{too_deep}}}}}"#);
    assert!(matches!(
        decode_client(&text),
        Err(WireError::NotJson { .. })
    ));
}
