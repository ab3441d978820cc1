//! Decoding of `/signal` frames: [`decode_client`] for client frames, and the two-step envelope
//! helpers that `super::server_decode` shares. Encoding lives in `super::encode`.
//!
//! Decoding is two steps, as in twilight's gateway events: first the frame's shape (simple event or
//! envelope, `op`, `t`, raw `d`), then `(op, t)` picks the typed payload. Unknown payload fields are
//! ignored so newer peers keep working.

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::{ClientMessage, DecodeError, Heartbeat, Speaking, event, op};

/// Decodes one client text frame.
///
/// A frame is a simple event when it is an object with a non-empty string `event`; otherwise it is
/// an `{op, t, d}` envelope. Never panics, whatever the input.
///
/// # Errors
///
/// See [`DecodeError`]; each variant says which kind of frame it rejects.
pub fn decode_client(text: &str) -> Result<ClientMessage, DecodeError> {
    let mut frame = parse_object(text)?;
    if let Some(Value::String(name)) = frame.get("event")
        && !name.is_empty()
    {
        let name = name.clone();
        return decode_simple(name, frame.remove("data"));
    }
    let (op, t, d) = read_envelope(&mut frame)?;
    match (op, t) {
        // The heartbeat has no `t`; one sent anyway is ignored.
        (op::HEARTBEAT, _) => match d {
            None => Ok(ClientMessage::Heartbeat(Heartbeat::default())),
            Some(d) => payload(op, t, d).map(ClientMessage::Heartbeat),
        },
        (op::RTC, None) => Err(invalid_payload(op, None, "missing `t`")),
        (op::RTC, Some(t)) => decode_rtc(t, d),
        (op, t) => Err(DecodeError::UnknownEvent { op, t }),
    }
}

/// Step one, part one: the text must be a JSON object.
pub(super) fn parse_object(text: &str) -> Result<Map<String, Value>, DecodeError> {
    let value: Value = serde_json::from_str(text).map_err(|e| DecodeError::NotJson {
        reason: format!("invalid JSON: {e}"),
    })?;
    match value {
        Value::Object(frame) => Ok(frame),
        other => Err(DecodeError::NotJson {
            reason: format!("a frame must be a JSON object, got {}", kind_of(&other)),
        }),
    }
}

/// Step one, part two: reads the envelope's `op`, `t` (absent or `null` is `None`) and raw `d`
/// (taken out of `frame`; `null` is `None`). Step two, matching `(op, t)`, is the caller's.
pub(super) fn read_envelope(
    frame: &mut Map<String, Value>,
) -> Result<(u8, Option<u16>, Option<Value>), DecodeError> {
    let op = match frame.get("op") {
        None | Some(Value::Null) => return Err(invalid_envelope("missing `op`")),
        Some(v) => match v.as_u64().and_then(|n| u8::try_from(n).ok()) {
            Some(op) => op,
            None => return Err(invalid_envelope("`op` must be an integer from 0 to 255")),
        },
    };
    let t = match frame.get("t") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64().and_then(|n| u16::try_from(n).ok()) {
            Some(t) => Some(t),
            None if op == op::RTC => {
                return Err(invalid_payload(
                    op,
                    None,
                    "`t` must be an integer from 0 to 65535",
                ));
            }
            None => return Err(DecodeError::UnknownEvent { op, t: None }),
        },
    };
    let d = frame.remove("d").filter(|d| !d.is_null());
    Ok((op, t, d))
}

fn decode_rtc(t: u16, d: Option<Value>) -> Result<ClientMessage, DecodeError> {
    // Leave is the one event whose `d` may be missing.
    if t == event::LEAVE {
        return match d {
            None | Some(Value::Object(_)) => Ok(ClientMessage::Leave),
            Some(other) => Err(invalid_payload(
                op::RTC,
                Some(t),
                format!("`d` must be an object, got {}", kind_of(&other)),
            )),
        };
    }
    let known = matches!(
        t,
        event::JOIN
            | event::OFFER
            | event::ANSWER
            | event::CANDIDATE
            | event::MUTE_SELF
            | event::MUTE_USER
            | event::SERVER_MUTE
            | event::SERVER_DEAFEN
            | event::KICK
            | event::BLOCK
            | event::MOVE
            | event::SPEAKING
    );
    if !known {
        return Err(DecodeError::UnknownEvent {
            op: op::RTC,
            t: Some(t),
        });
    }
    let Some(d) = d else {
        return Err(invalid_payload(op::RTC, Some(t), "missing `d`"));
    };
    let at = Some(t);
    Ok(match t {
        event::JOIN => ClientMessage::Join(payload(op::RTC, at, d)?),
        event::OFFER => ClientMessage::Offer(payload(op::RTC, at, d)?),
        event::ANSWER => ClientMessage::Answer(payload(op::RTC, at, d)?),
        event::CANDIDATE => ClientMessage::Candidate(payload(op::RTC, at, d)?),
        event::MUTE_SELF => ClientMessage::MuteSelf(payload(op::RTC, at, d)?),
        event::MUTE_USER => ClientMessage::MuteUser(payload(op::RTC, at, d)?),
        event::SERVER_MUTE => ClientMessage::ServerMute(payload(op::RTC, at, d)?),
        event::SERVER_DEAFEN => ClientMessage::ServerDeafen(payload(op::RTC, at, d)?),
        event::KICK => ClientMessage::Kick(payload(op::RTC, at, d)?),
        event::BLOCK => ClientMessage::Block(payload(op::RTC, at, d)?),
        event::MOVE => ClientMessage::Move(payload(op::RTC, at, d)?),
        _ => ClientMessage::Speaking(payload(op::RTC, at, d)?),
    })
}

/// Decodes `d` into a payload. `d` must be an object: serde would otherwise also accept a struct
/// written as an array, which no client sends on purpose.
pub(super) fn payload<T: DeserializeOwned>(
    op: u8,
    t: Option<u16>,
    d: Value,
) -> Result<T, DecodeError> {
    if !d.is_object() {
        return Err(invalid_payload(
            op,
            t,
            format!("`d` must be an object, got {}", kind_of(&d)),
        ));
    }
    serde_json::from_value(d).map_err(|e| invalid_payload(op, t, e.to_string()))
}

fn decode_simple(name: String, data: Option<Value>) -> Result<ClientMessage, DecodeError> {
    let data = match data {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        // `negotiate` ignores its data, whatever it is.
        Some(_) if name == "negotiate" => None,
        Some(other) => {
            return Err(DecodeError::InvalidSimpleEvent {
                reason: format!("`data` must be a JSON string, got {}", kind_of(&other)),
                event: name,
            });
        }
    };
    match name.as_str() {
        "negotiate" => Ok(ClientMessage::Negotiate),
        "speaking" => Ok(ClientMessage::Speaking(Speaking {
            speaking: simple_speaking(data.as_deref().unwrap_or("")),
        })),
        "answer" => simple_payload(name, data).map(ClientMessage::Answer),
        "candidate" => simple_payload(name, data).map(ClientMessage::Candidate),
        _ => Err(DecodeError::UnknownSimpleEvent(name)),
    }
}

/// GoChat's rules for the simple `speaking` data: `1` (bare or JSON-quoted) is on; `0`, quoted `0`
/// and empty are off; otherwise `{"speaking":N}` with a non-zero integer N is on, and anything
/// else is off.
fn simple_speaking(data: &str) -> bool {
    match data.trim() {
        "1" | "\"1\"" => true,
        "0" | "\"0\"" | "" => false,
        other => serde_json::from_str::<Value>(other)
            .ok()
            .and_then(|v| {
                let n = v.get("speaking")?;
                n.as_i64().map(|n| n != 0).or(n.as_u64().map(|n| n != 0))
            })
            .unwrap_or(false),
    }
}

/// Decodes the JSON text inside a simple event's `data` (Pion example compatibility).
fn simple_payload<T: DeserializeOwned>(
    name: String,
    data: Option<String>,
) -> Result<T, DecodeError> {
    let Some(data) = data else {
        return Err(DecodeError::InvalidSimpleEvent {
            event: name,
            reason: "missing `data`".to_owned(),
        });
    };
    let value: Value =
        serde_json::from_str(&data).map_err(|e| DecodeError::InvalidSimpleEvent {
            event: name.clone(),
            reason: format!("`data` is not JSON: {e}"),
        })?;
    if !value.is_object() {
        return Err(DecodeError::InvalidSimpleEvent {
            reason: format!("`data` must hold a JSON object, got {}", kind_of(&value)),
            event: name,
        });
    }
    serde_json::from_value(value).map_err(|e| DecodeError::InvalidSimpleEvent {
        event: name,
        reason: e.to_string(),
    })
}

fn invalid_envelope(reason: &str) -> DecodeError {
    DecodeError::InvalidEnvelope {
        reason: reason.to_owned(),
    }
}

pub(super) fn invalid_payload(op: u8, t: Option<u16>, reason: impl Into<String>) -> DecodeError {
    DecodeError::InvalidPayload {
        op,
        t,
        reason: reason.into(),
    }
}

pub(super) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
