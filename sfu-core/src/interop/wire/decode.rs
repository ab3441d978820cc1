//! Decoding interop frames: [`decode_sfu_to_main`] and [`decode_main_to_sfu`].
//!
//! Two steps: first the frame (JSON, an object, a non-empty string `type`), then the `type` picks
//! the payload, read field by field so an error names the wire field (`userId`, not `user_id`).

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{
    ChannelPresenceSync, ForceDisconnect, InteropDecodeError, InteropError, MainToSfu,
    MediaPresence, MoveUser, ServerMute, SfuStatus, SfuToMain,
};

/// Longest `type` echoed in [`InteropDecodeError::UnknownType`], in characters.
const MAX_TYPE_CHARS: usize = 64;
/// Longest [`InteropDecodeError::InvalidFields`] reason, in characters.
const MAX_REASON_CHARS: usize = 200;

/// Decodes one frame the SFU sent to the main server. Never panics, whatever the input.
///
/// # Errors
///
/// See [`InteropDecodeError`]; the checks run in this order: JSON, `type`, fields. A frame of
/// type `error` is [`InteropDecodeError::PeerError`].
pub fn decode_sfu_to_main(text: &str) -> Result<SfuToMain, InteropDecodeError> {
    let (name, map) = parse(text)?;
    let mut f = Fields {
        message_type: &name,
        map,
    };
    Ok(match name.as_str() {
        "media_presence" => SfuToMain::MediaPresence(MediaPresence {
            event: f.take("event")?,
            user_id: f.take("userId")?,
            channel_id: f.take("channelId")?,
            timestamp: f.take("timestamp")?,
        }),
        "channel_presence_sync" => SfuToMain::ChannelPresenceSync(ChannelPresenceSync {
            channel_id: f.take("channelId")?,
            user_ids: f.take("userIds")?,
        }),
        "sfu_status" => SfuToMain::SfuStatus(SfuStatus {
            status: f.take("status")?,
            details: f.take("details")?,
        }),
        "error" => return Err(f.peer_error()),
        _ => return Err(unknown_type(&name)),
    })
}

/// Decodes one frame the main server sent to the SFU. Never panics, whatever the input.
///
/// # Errors
///
/// See [`InteropDecodeError`]; the checks run in this order: JSON, `type`, fields. A frame of
/// type `error` is [`InteropDecodeError::PeerError`].
pub fn decode_main_to_sfu(text: &str) -> Result<MainToSfu, InteropDecodeError> {
    let (name, map) = parse(text)?;
    let mut f = Fields {
        message_type: &name,
        map,
    };
    Ok(match name.as_str() {
        "force_disconnect" => MainToSfu::ForceDisconnect(ForceDisconnect {
            user_id: f.take("userId")?,
            channel_id: f.take("channelId")?,
            reason: f.take("reason")?,
        }),
        "server_mute" => MainToSfu::ServerMute(ServerMute {
            user_id: f.take("userId")?,
            channel_id: f.take("channelId")?,
            muted: f.take("muted")?,
        }),
        "move_user" => MainToSfu::MoveUser(MoveUser {
            user_id: f.take("userId")?,
            channel_id: f.take("channelId")?,
            to_channel_id: f.take("toChannelId")?,
        }),
        "error" => return Err(f.peer_error()),
        _ => return Err(unknown_type(&name)),
    })
}

/// Step one: the text must be JSON, an object, with a non-empty string `type` (taken out of the
/// returned map).
fn parse(text: &str) -> Result<(String, Map<String, Value>), InteropDecodeError> {
    let value: Value = serde_json::from_str(text).map_err(|e| InteropDecodeError::NotJson {
        reason: e.to_string(),
    })?;
    let Value::Object(mut map) = value else {
        return Err(InteropDecodeError::MissingType);
    };
    match map.remove("type") {
        Some(Value::String(name)) if !name.is_empty() => Ok((name, map)),
        _ => Err(InteropDecodeError::MissingType),
    }
}

/// Step two: a known message's fields, read one at a time.
struct Fields<'a> {
    message_type: &'a str,
    map: Map<String, Value>,
}

impl Fields<'_> {
    /// Takes the field `name` (its wire name) out of the frame. Missing or `null` is an error.
    fn take<T: DeserializeOwned>(&mut self, name: &'static str) -> Result<T, InteropDecodeError> {
        match self.map.remove(name) {
            None | Some(Value::Null) => Err(self.invalid(format!("missing field `{name}`"))),
            Some(value) => serde_json::from_value(value)
                .map_err(|e| self.invalid(format!("field `{name}`: {e}"))),
        }
    }

    /// Reads an `error` frame: its `data` as a [`InteropDecodeError::PeerError`], or the reason
    /// it is malformed (an [`InteropDecodeError::InvalidFields`] that gets no reply).
    fn peer_error(mut self) -> InteropDecodeError {
        match self.take("data") {
            Ok(data) => InteropDecodeError::PeerError(InteropError { data }),
            Err(e) => e,
        }
    }

    fn invalid(&self, reason: String) -> InteropDecodeError {
        InteropDecodeError::InvalidFields {
            message_type: self.message_type.to_owned(),
            reason: cut(&reason, MAX_REASON_CHARS),
        }
    }
}

fn unknown_type(name: &str) -> InteropDecodeError {
    InteropDecodeError::UnknownType(cut(name, MAX_TYPE_CHARS))
}

/// `text` cut to at most `max` characters, with `...` when cut, so a hostile frame cannot make
/// an error reply large.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_owned(),
    }
}
