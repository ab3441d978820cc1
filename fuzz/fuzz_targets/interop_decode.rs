//! Both interop decoders never panic; whatever they accept survives a round trip through
//! `to_json`; whatever they refuse gets either no reply (non-JSON, a peer's error) or a reply that
//! is itself a valid `{"type":"error","data":...}` frame.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sfu_core::interop::wire::{decode_main_to_sfu, decode_sfu_to_main};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match decode_sfu_to_main(&text) {
        Ok(first) => {
            let json = first.to_json();
            let second = decode_sfu_to_main(&json).unwrap_or_else(|e| panic!("{json} does not decode: {e}"));
            assert_eq!(second, first, "sfu->main round trip of {json}");
        }
        Err(e) => check_reply(e.reply().map(|r| r.to_json())),
    }
    match decode_main_to_sfu(&text) {
        Ok(first) => {
            let json = first.to_json();
            let second = decode_main_to_sfu(&json).unwrap_or_else(|e| panic!("{json} does not decode: {e}"));
            assert_eq!(second, first, "main->sfu round trip of {json}");
        }
        Err(e) => check_reply(e.reply().map(|r| r.to_json())),
    }
});

fn check_reply(reply: Option<String>) {
    if let Some(json) = reply {
        let value: serde_json::Value = serde_json::from_str(&json).expect("an error reply is JSON");
        assert_eq!(value["type"], "error", "{json}");
        assert!(value["data"].is_string(), "{json}");
    }
}
