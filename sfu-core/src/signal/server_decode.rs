//! [`decode_server`]: SFU frames decoded on the client side, for the client engine.
//!
//! The same two steps as [`super::decode_client`]: read `op`, `t` and a raw `d`
//! ([`super::wire::read_envelope`]), then match. Besides our own frames it accepts GoChat's:
//! join refusals written `{error:"expected join"}` without `ok`, kicks without `reason`, and `t 512`
//! moves with extra fields (`sfu_url`). Unknown payload fields are ignored.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::wire::{invalid_payload, parse_object, payload, read_envelope};
use super::{
    DecodeError, ErrorCode, ErrorReply, JoinAck, JoinErrorCode, Pong, ServerMessage, event, op,
};

/// Decodes one SFU text frame.
///
/// - `op 7 t 500` is always a [`JoinAck`]: `{ok:true}`, `{ok:false,error:CODE}`, or GoChat's
///   `{error:"..."}` without `ok`. Error strings are matched loosely (case, spaces or hyphens for
///   underscores: `"expected join"` is `expected_join`); an unknown or missing one reads as
///   [`JoinErrorCode::Unauthorized`].
/// - Any other frame whose `d` has a string `error`, and every `op 0` frame, is an
///   [`ServerMessage::Error`] on that frame's `op`/`t`; `message` defaults to `""`.
/// - `op 2` is a [`Pong`] (`pong` must be `true`); `op 7` with `t` 501, 502, 503, 505, 507, 508,
///   510, 512 or 514 is the matching notification.
///
/// Never panics, whatever the input. A [`DecodeError`] here describes a bad SFU frame; its
/// [`DecodeError::reply`] is meant for the SFU side and should not be sent.
///
/// # Errors
///
/// [`DecodeError::NotJson`] and [`DecodeError::InvalidEnvelope`] for a frame that is not an
/// object with a usable `op`, [`DecodeError::UnknownEvent`] for an `op`/`t` the SFU does not send
/// (including the client-only 504, 506 and 511), and [`DecodeError::InvalidPayload`] for a
/// missing `t` or `d`, a `d` of the wrong shape, or an error reply with an unknown code.
pub fn decode_server(text: &str) -> Result<ServerMessage, DecodeError> {
    let mut frame = parse_object(text)?;
    let (op, t, d) = read_envelope(&mut frame)?;
    if (op, t) == (op::RTC, Some(event::JOIN)) {
        return join_ack(d).map(ServerMessage::JoinAck);
    }
    let has_error = d
        .as_ref()
        .and_then(|d| d.get("error"))
        .is_some_and(Value::is_string);
    if has_error || op == op::INVALID {
        return error_reply(op, t, d).map(ServerMessage::Error);
    }
    match (op, t) {
        // The pong has no `t`; one sent anyway is ignored, as for the heartbeat.
        (op::HEARTBEAT, _) => pong(t, d).map(ServerMessage::Pong),
        (op::RTC, None) => Err(invalid_payload(op, None, "missing `t`")),
        (op::RTC, Some(t)) => decode_rtc(t, d),
        (op, t) => Err(DecodeError::UnknownEvent { op, t }),
    }
}

fn decode_rtc(t: u16, d: Option<Value>) -> Result<ServerMessage, DecodeError> {
    let known = matches!(
        t,
        event::OFFER
            | event::ANSWER
            | event::CANDIDATE
            | event::MUTE_SELF
            | event::SERVER_MUTE
            | event::SERVER_DEAFEN
            | event::KICK
            | event::MOVE
            | event::SPEAKING
    );
    if !known {
        return Err(DecodeError::UnknownEvent {
            op: op::RTC,
            t: Some(t),
        });
    }
    let d = required(op::RTC, Some(t), d)?;
    let at = Some(t);
    Ok(match t {
        event::OFFER => ServerMessage::Offer(payload(op::RTC, at, d)?),
        event::ANSWER => ServerMessage::Answer(payload(op::RTC, at, d)?),
        event::CANDIDATE => ServerMessage::Candidate(payload(op::RTC, at, d)?),
        event::MUTE_SELF => ServerMessage::SelfMuted(payload(op::RTC, at, d)?),
        event::SERVER_MUTE => ServerMessage::ServerMuted(payload(op::RTC, at, d)?),
        event::SERVER_DEAFEN => ServerMessage::Deafened(payload(op::RTC, at, d)?),
        event::KICK => ServerMessage::Kicked(payload(op::RTC, at, d)?),
        event::MOVE => ServerMessage::Moved(payload(op::RTC, at, d)?),
        _ => ServerMessage::Speaking(payload(op::RTC, at, d)?),
    })
}

/// `d` of a `t 500` ack; both fields optional so GoChat's `{error}` decodes too.
#[derive(Deserialize)]
struct JoinAckIn {
    ok: Option<bool>,
    error: Option<String>,
}

fn join_ack(d: Option<Value>) -> Result<JoinAck, DecodeError> {
    let at = Some(event::JOIN);
    let ack: JoinAckIn = payload(op::RTC, at, required(op::RTC, at, d)?)?;
    match (ack.ok, ack.error) {
        (Some(true), _) => Ok(JoinAck::ok()),
        (Some(false), error) | (None, error @ Some(_)) => Ok(JoinAck::rejected(
            error
                .as_deref()
                .and_then(parse_code)
                .unwrap_or(JoinErrorCode::Unauthorized),
        )),
        (None, None) => Err(invalid_payload(op::RTC, at, "missing `ok` and `error`")),
    }
}

/// `d` of an error reply.
#[derive(Deserialize)]
struct ErrorIn {
    error: String,
    #[serde(default)]
    message: String,
}

fn error_reply(op: u8, t: Option<u16>, d: Option<Value>) -> Result<ErrorReply, DecodeError> {
    let reply: ErrorIn = payload(op, t, required(op, t, d)?)?;
    let Some(code) = parse_code::<ErrorCode>(&reply.error) else {
        return Err(invalid_payload(
            op,
            t,
            format!("unknown error code {:?}", reply.error),
        ));
    };
    Ok(ErrorReply {
        op,
        t,
        code,
        message: reply.message,
    })
}

/// `d` of a pong; `nonce` and `ts` as in [`super::Heartbeat`] (`null` is absent).
#[derive(Deserialize)]
struct PongIn {
    pong: bool,
    server_ts: i64,
    nonce: Option<Value>,
    ts: Option<Value>,
}

fn pong(t: Option<u16>, d: Option<Value>) -> Result<Pong, DecodeError> {
    let p: PongIn = payload(op::HEARTBEAT, t, required(op::HEARTBEAT, t, d)?)?;
    if !p.pong {
        return Err(invalid_payload(op::HEARTBEAT, t, "`pong` must be true"));
    }
    Ok(Pong {
        server_ts: p.server_ts,
        nonce: p.nonce,
        ts: p.ts,
    })
}

fn required(op: u8, t: Option<u16>, d: Option<Value>) -> Result<Value, DecodeError> {
    d.ok_or_else(|| invalid_payload(op, t, "missing `d`"))
}

/// An error code written loosely (`"Expected join"`, `"rate-limited"`), read through the code
/// enum's own serde names so the spellings live in one place.
fn parse_code<T: DeserializeOwned>(text: &str) -> Option<T> {
    let normal = text.trim().to_ascii_lowercase().replace([' ', '-'], "_");
    serde_json::from_value(Value::String(normal)).ok()
}
