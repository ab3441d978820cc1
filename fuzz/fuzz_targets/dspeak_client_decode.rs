//! The `/socket` (dspeak) client decoder never panics, and whatever it refuses gets an error
//! frame that is itself valid `{"type":"error","data":"<text>"}` JSON with non-empty text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sfu_core::dspeak::{ServerMessage, decode_client};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match decode_client(&text) {
        Ok(message) => {
            // Every decoded message has a wire name (used in logs).
            assert!(!message.name().is_empty());
        }
        Err(e) => {
            let json = ServerMessage::Error(e.to_string()).to_json();
            let value: serde_json::Value = serde_json::from_str(&json).expect("an error frame is JSON");
            assert_eq!(value["type"], "error", "{json}");
            assert!(value["data"].as_str().is_some_and(|t| !t.is_empty()), "{json}");
        }
    }
});
