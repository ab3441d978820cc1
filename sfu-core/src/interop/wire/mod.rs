//! Typed messages of the interop link `/dspeak/interop` (seed 000, SPEC section 5).
//!
//! Every message is a flat JSON object with a `type` field: `{"type": "media_presence", "event":
//! "join", "userId": "42", ...}`. There is one enum per direction, each
//! `#[serde(tag = "type", rename_all = "snake_case")]` with one named payload struct per variant:
//!
//! - [`SfuToMain`]: `media_presence`, `channel_presence_sync`, `sfu_status` (seed 000);
//! - [`MainToSfu`]: `force_disconnect` (seed 000), and Hearth's additive extensions `server_mute`
//!   and `move_user` (the SPEC allows them; `docs/PROTOCOL.md` documents them).
//!
//! Both directions are encoded ([`SfuToMain::to_json`], [`MainToSfu::to_json`]) and decoded
//! ([`decode_sfu_to_main`], [`decode_main_to_sfu`]). The error reply `{"type": "error", "data":
//! "..."}` travels both ways and is its own type, [`InteropError`]; receiving one is reported as
//! [`InteropDecodeError::PeerError`] so the receiver logs it and never answers it.
//!
//! Wire rules:
//!
//! - Ids ([`UserId`](crate::ids::UserId), [`ChannelId`](crate::ids::ChannelId)) are written as
//!   decimal strings (a JavaScript number cannot hold every int64) and read from a decimal string
//!   or a JSON number.
//! - `timestamp` is an ISO-8601 UTC string such as `2025-08-12T12:34:56.789Z`, written with
//!   [`iso8601_utc`] and kept as the string it was on the way in.
//! - Unknown fields are ignored, so additive extensions do not break older peers; a field that is
//!   `null` counts as missing.
//! - Bad input is handled as seed 000 says (see [`InteropDecodeError::reply`]): text that is not
//!   JSON is logged and ignored; a missing `type` and an unknown `type` get the seed's exact error
//!   replies; a known `type` with bad fields gets `Invalid message format: <reason>`, the reason
//!   naming the field.
//!
//! These are wire types: ids are any int64 and strings any text. Checking them (a known user, a
//! live channel) is the SFU's and the main server's job.

mod decimal;
mod decode;
mod error;
mod main_to_sfu;
mod sfu_to_main;
mod timestamp;

#[cfg(test)]
mod bad_input_tests;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod golden_tests;
#[cfg(test)]
mod round_trip_tests;

pub use decode::{decode_main_to_sfu, decode_sfu_to_main};
pub use error::{InteropDecodeError, InteropError};
pub use main_to_sfu::{ForceDisconnect, MainToSfu, MoveUser, ServerMute};
pub use sfu_to_main::{
    ChannelPresenceSync, MediaPresence, PresenceEvent, SfuStatus, SfuToMain, Status,
};
pub use timestamp::iso8601_utc;

/// Writes a message as compact JSON text.
fn to_json<M: serde::Serialize>(message: &M) -> String {
    serde_json::to_string(message)
        .expect("messages are plain data with string keys, so writing JSON cannot fail")
}
