//! The `{type, payload, protocol_version}` envelope: [`decode_client`], [`decode_server`] and the
//! shared `to_json`.
//!
//! Decoding is two steps. First the envelope: the text must be a JSON object; its
//! `protocol_version` is checked; `type` must be a string. Then serde reads `{type, payload}` into
//! the direction's enum through [`ValueDeserializer`](super::path_de), which keeps the path of a
//! bad field. Unknown envelope and payload fields are ignored, so additive extensions do not break
//! older peers.

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::path_de::EnvelopeDeserializer;
use super::{ClientMessage, PROTOCOL_VERSION, ServerMessage, WireError};

/// A decoded client message and the protocol version its envelope declared.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientEnvelope {
    /// The message.
    pub message: ClientMessage,
    /// The major protocol version of the frame: always [`PROTOCOL_VERSION`] today, since other
    /// versions are rejected; 1 when the frame had no `protocol_version`.
    pub protocol_version: u64,
}

/// Decodes one client text frame. Never panics, whatever the input.
///
/// A missing or `null` `protocol_version` is accepted as version 1 (most of the seed's examples
/// omit it). A version is a non-negative number whose integer part is the major version (`1`,
/// `1.2`) or a string `"MAJOR[.MINOR[.PATCH]]"`; only major version 1 is accepted.
///
/// # Errors
///
/// See [`WireError`]; the checks run in this order: JSON, object, version, `type`, payload.
pub fn decode_client(text: &str) -> Result<ClientEnvelope, WireError> {
    let (message, protocol_version) = decode(text)?;
    Ok(ClientEnvelope {
        message,
        protocol_version,
    })
}

/// Decodes one server text frame, for the client engine and tests. Never panics. The same rules
/// as [`decode_client`]; the server always writes `protocol_version: 1`.
///
/// # Errors
///
/// See [`WireError`]. Its [`WireError::to_error`] is meant for the server side; a client should
/// log the error rather than send it.
pub fn decode_server(text: &str) -> Result<ServerMessage, WireError> {
    decode(text).map(|(message, _)| message)
}

/// Writes `{type, payload, protocol_version: 1}`.
pub(super) fn to_json<M: Serialize>(message: &M) -> String {
    #[derive(Serialize)]
    struct Framed<'a, M> {
        #[serde(flatten)]
        message: &'a M,
        protocol_version: u64,
    }
    serde_json::to_string(&Framed {
        message,
        protocol_version: PROTOCOL_VERSION,
    })
    .expect("messages are plain data with string keys, so writing JSON cannot fail")
}

fn decode<M: DeserializeOwned>(text: &str) -> Result<(M, u64), WireError> {
    let value: Value = serde_json::from_str(text).map_err(|e| WireError::NotJson {
        reason: e.to_string(),
    })?;
    let Value::Object(mut frame) = value else {
        return Err(WireError::NotAnObject {
            got: kind_of(&value),
        });
    };
    let version = major_version(frame.get("protocol_version"))?;
    let Some(Value::String(type_name)) = frame.remove("type") else {
        return Err(WireError::MissingType);
    };
    let envelope = EnvelopeDeserializer {
        type_name: &type_name,
        payload: frame.remove("payload"),
    };
    match M::deserialize(envelope) {
        Ok(message) => Ok((message, version)),
        Err(e) if e.unknown_type().is_some() => Err(WireError::UnknownType(cut(&type_name, 64))),
        Err(e) => {
            let field = e.path();
            let reason = match (&field, e.is_missing()) {
                (Some(field), true) => format!("missing field `{field}`"),
                (Some(field), false) => format!("`{field}`: {}", e.message()),
                (None, _) => e.message().to_owned(),
            };
            Err(WireError::InvalidPayload {
                message_type: type_name,
                field,
                reason: cut(&reason, 200),
            })
        }
    }
}

/// Reads the major version from `protocol_version` (see [`decode_client`]).
fn major_version(value: Option<&Value>) -> Result<u64, WireError> {
    let major = match value {
        None | Some(Value::Null) => return Ok(PROTOCOL_VERSION),
        Some(Value::Number(n)) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|v| v.is_finite() && *v >= 0.0)
                // Saturates for huge values, which are rejected as unsupported anyway.
                .map(|v| v.trunc() as u64)
        }),
        Some(Value::String(s)) => s.split('.').next().and_then(|m| m.parse().ok()),
        Some(_) => None,
    };
    match major {
        Some(PROTOCOL_VERSION) => Ok(PROTOCOL_VERSION),
        Some(got) => Err(WireError::UnsupportedVersion { got }),
        None => Err(WireError::InvalidVersion {
            reason: match value {
                Some(Value::String(s)) => format!("{:?} is not a version", cut(s, 32)),
                Some(Value::Number(n)) => format!("{n} is not a version"),
                Some(other) => format!("expected a number or a string, got {}", kind_of(other)),
                None => String::new(),
            },
        }),
    }
}

/// `text` cut to at most `max` characters, with `...` when cut, so a hostile frame cannot make
/// the error reply large.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_owned(),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
