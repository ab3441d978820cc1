//! `decode_client` never panics, and whatever it accepts survives a round trip through
//! `ClientMessage::to_json`: the re-encoded frame decodes again, to the same message.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sfu_core::signal::{ClientMessage, SdpType, decode_client};

fuzz_target!(|data: &[u8]| {
    // WebSocket text frames are always UTF-8; lossy conversion keeps byte-level mutations useful
    // instead of discarding them.
    let text = String::from_utf8_lossy(data);
    let Ok(first) = decode_client(&text) else {
        return;
    };
    let json = first.to_json();
    let second = match decode_client(&json) {
        Ok(second) => second,
        Err(e) => panic!("{first:?} encodes as {json}, which does not decode: {e}"),
    };
    assert_eq!(
        second,
        canonical(first),
        "decoding the re-encoded frame {json} must give the same message"
    );
});

/// `msg` with the one field encoding is documented to drop: an offer or answer keeps the SDP
/// `type` the peer wrote (or none), but `to_json` writes the variant's own type.
fn canonical(mut msg: ClientMessage) -> ClientMessage {
    match &mut msg {
        ClientMessage::Offer(sd) => sd.kind = Some(SdpType::Offer),
        ClientMessage::Answer(sd) => sd.kind = Some(SdpType::Answer),
        _ => {}
    }
    msg
}
