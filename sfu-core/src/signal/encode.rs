//! Encoding of `/signal` frames: `Serialize` and `to_json` for [`ServerMessage`] (the SFU's side)
//! and [`ClientMessage`] (the client engine's side).
//!
//! The `op` and `t` written come from the [`op`] and [`event`] constants only; the payload structs
//! write `d`.

use serde::ser::{Serialize, SerializeStruct, Serializer};
use serde_json::Value;

use super::{ClientMessage, ErrorCode, ErrorReply, SdpType, ServerMessage, event, op};

impl ClientMessage {
    /// The frame's JSON text, exactly as a client sends it (SPEC section 4): `{op, t?, d}`, or the
    /// simple `{"event":"negotiate"}` for [`ClientMessage::Negotiate`].
    ///
    /// `Offer` and `Answer` write `type` from the variant, whatever their `kind` says; `Speaking`
    /// writes `speaking` as `0`/`1`; `Block` writes `user` (not the `user_id` alias).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect(
            "client frames are plain JSON data with string keys, so serializing cannot fail",
        )
    }
}

/// Writes the `{op, t?, d}` envelope of the frame, or `{"event":"negotiate"}`.
impl Serialize for ClientMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let Self::Negotiate = self {
            let mut simple = s.serialize_struct("SimpleEvent", 1)?;
            simple.serialize_field("event", "negotiate")?;
            return simple.end();
        }
        // Every other message is sent on the route its error replies come back on.
        let (op, t) = self.route();
        let mut env = begin_envelope(s, op, t)?;
        match self {
            Self::Join(p) => env.serialize_field("d", p)?,
            Self::Offer(sd) => env.serialize_field("d", &sdp_out(&sd.sdp, SdpType::Offer))?,
            Self::Answer(sd) => env.serialize_field("d", &sdp_out(&sd.sdp, SdpType::Answer))?,
            Self::Candidate(c) => env.serialize_field("d", c)?,
            Self::Leave => env.serialize_field("d", &Empty {})?,
            Self::MuteSelf(p) => env.serialize_field("d", p)?,
            Self::MuteUser(p) => env.serialize_field("d", p)?,
            Self::ServerMute(p) => env.serialize_field("d", p)?,
            Self::ServerDeafen(p) => env.serialize_field("d", p)?,
            Self::Kick(p) => env.serialize_field("d", p)?,
            Self::Block(p) => env.serialize_field("d", p)?,
            Self::Move(p) => env.serialize_field("d", p)?,
            Self::Speaking(p) => env.serialize_field("d", p)?,
            Self::Heartbeat(p) => env.serialize_field("d", p)?,
            // Written as a simple event above.
            Self::Negotiate => {}
        }
        env.end()
    }
}

/// Starts an `{op, t?, d}` struct and writes `op` and `t` (skipped when `None`).
fn begin_envelope<S: Serializer>(
    s: S,
    op: u8,
    t: Option<u16>,
) -> Result<S::SerializeStruct, S::Error> {
    let mut env = s.serialize_struct("Envelope", if t.is_some() { 3 } else { 2 })?;
    env.serialize_field("op", &op)?;
    if let Some(t) = t {
        env.serialize_field("t", &t)?;
    } else {
        env.skip_field("t")?;
    }
    Ok(env)
}

/// The `d` of a leave, `{}`.
#[derive(serde::Serialize)]
struct Empty {}

impl ServerMessage {
    /// The frame's JSON text, exactly as SPEC section 4 and seed 003 show it.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self)
            .expect("server frames are structs and JSON values with string keys, so serializing cannot fail")
    }
}

/// Writes the `{op, t?, d}` envelope of the frame.
impl Serialize for ServerMessage {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let rtc = |t| (op::RTC, Some(t));
        let (op, t) = match self {
            Self::JoinAck(_) => rtc(event::JOIN),
            Self::Offer(_) => rtc(event::OFFER),
            Self::Answer(_) => rtc(event::ANSWER),
            Self::Candidate(_) => rtc(event::CANDIDATE),
            Self::SelfMuted(_) => rtc(event::MUTE_SELF),
            Self::ServerMuted(_) => rtc(event::SERVER_MUTE),
            Self::Deafened(_) => rtc(event::SERVER_DEAFEN),
            Self::Kicked(_) => rtc(event::KICK),
            Self::Moved(_) => rtc(event::MOVE),
            Self::Speaking(_) => rtc(event::SPEAKING),
            Self::Pong(_) => (op::HEARTBEAT, None),
            Self::Error(e) => (e.op, e.t),
        };
        let mut env = begin_envelope(s, op, t)?;
        match self {
            Self::JoinAck(ack) => env.serialize_field("d", &JoinAckOut::from(ack))?,
            Self::Offer(sd) => env.serialize_field("d", &sdp_out(&sd.sdp, SdpType::Offer))?,
            Self::Answer(sd) => env.serialize_field("d", &sdp_out(&sd.sdp, SdpType::Answer))?,
            Self::Candidate(c) => env.serialize_field("d", c)?,
            Self::SelfMuted(p) => env.serialize_field("d", p)?,
            Self::ServerMuted(p) => env.serialize_field("d", p)?,
            Self::Deafened(p) => env.serialize_field("d", p)?,
            Self::Kicked(p) => env.serialize_field("d", p)?,
            Self::Moved(p) => env.serialize_field("d", p)?,
            Self::Speaking(p) => env.serialize_field("d", p)?,
            Self::Pong(p) => env.serialize_field("d", &PongOut::from(p))?,
            Self::Error(e) => env.serialize_field("d", &ErrorOut::from(e))?,
        }
        env.end()
    }
}

#[derive(serde::Serialize)]
struct JoinAckOut {
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<super::JoinErrorCode>,
}

impl From<&super::JoinAck> for JoinAckOut {
    fn from(ack: &super::JoinAck) -> Self {
        Self {
            ok: ack.error.is_none(),
            error: ack.error,
        }
    }
}

#[derive(serde::Serialize)]
struct SdpOut<'a> {
    sdp: &'a str,
    #[serde(rename = "type")]
    kind: SdpType,
}

fn sdp_out(sdp: &str, kind: SdpType) -> SdpOut<'_> {
    SdpOut { sdp, kind }
}

#[derive(serde::Serialize)]
struct PongOut<'a> {
    pong: bool,
    server_ts: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ts: Option<&'a Value>,
}

impl<'a> From<&'a super::Pong> for PongOut<'a> {
    fn from(p: &'a super::Pong) -> Self {
        Self {
            pong: true,
            server_ts: p.server_ts,
            nonce: p.nonce.as_ref(),
            ts: p.ts.as_ref(),
        }
    }
}

#[derive(serde::Serialize)]
struct ErrorOut<'a> {
    error: ErrorCode,
    message: &'a str,
}

impl<'a> From<&'a ErrorReply> for ErrorOut<'a> {
    fn from(e: &'a ErrorReply) -> Self {
        Self {
            error: e.code,
            message: &e.message,
        }
    }
}
