//! `world::wire::decode_client` never panics, and whatever it accepts survives a round trip
//! through `ClientMessage::to_json`: the re-encoded frame decodes again, to the same message.
//!
//! Messages are compared, not text: `Position` writes integral floats as integers (`18.0` as
//! `18`), and unknown fields are dropped.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sfu_core::world::wire::{PROTOCOL_VERSION, decode_client};

fuzz_target!(|data: &[u8]| {
    // WebSocket text frames are always UTF-8; lossy conversion keeps byte-level mutations useful
    // instead of discarding them.
    let text = String::from_utf8_lossy(data);
    let Ok(first) = decode_client(&text) else {
        return;
    };
    assert_eq!(
        first.protocol_version, PROTOCOL_VERSION,
        "only protocol version {PROTOCOL_VERSION} may be accepted: {first:?}"
    );
    let json = first.message.to_json();
    let second = match decode_client(&json) {
        Ok(second) => second,
        Err(e) => panic!("{first:?} encodes as {json}, which does not decode: {e}"),
    };
    assert_eq!(
        second.message, first.message,
        "decoding the re-encoded frame {json} must give the same message"
    );
    assert_eq!(
        second.protocol_version, PROTOCOL_VERSION,
        "to_json must write protocol_version {PROTOCOL_VERSION}: {json}"
    );
});
