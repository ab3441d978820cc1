//! `world::wire::decode_server` never panics, and whatever it accepts survives a round trip
//! through `ServerMessage::to_json`: the re-encoded frame decodes again, to the same message.
//!
//! Messages are compared, not text: `Position` writes integral floats as integers (`18.0` as
//! `18`), and unknown fields are dropped.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sfu_core::world::wire::decode_server;

fuzz_target!(|data: &[u8]| {
    // WebSocket text frames are always UTF-8; lossy conversion keeps byte-level mutations useful
    // instead of discarding them.
    let text = String::from_utf8_lossy(data);
    let Ok(first) = decode_server(&text) else {
        return;
    };
    let json = first.to_json();
    let second = match decode_server(&json) {
        Ok(second) => second,
        Err(e) => panic!("{first:?} encodes as {json}, which does not decode: {e}"),
    };
    assert_eq!(
        second, first,
        "decoding the re-encoded frame {json} must give the same message"
    );
});
