//! Client -> server frames of `/socket` and their decoder.

use serde::Deserialize;
use serde_json::Value;

use super::ortc::{DtlsParameters, RtpCapabilities, RtpParameters};

/// A frame from a dspeak client.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientMessage {
    /// `ping`: answered with `pong` and the server time; `requestId` is echoed.
    Ping {
        request_id: Option<Value>,
    },
    /// `pong`: the client answers a ping; only refreshes liveness.
    Pong,
    /// `get-rtp-capabilities`: the router's capabilities, for `device.load()`.
    GetRtpCapabilities {
        request_id: Option<Value>,
    },
    /// `client-rtp-capabilities`: the device's capabilities, used by later consumes.
    ClientRtpCapabilities {
        capabilities: RtpCapabilities,
        request_id: Option<Value>,
    },
    /// `create-transport`: a new WebRTC transport (first send, then recv, unless `data.type` says).
    CreateTransport(CreateTransport),
    /// `connect-transport {dtlsParameters, transportId?}`: the client's DTLS side.
    ConnectTransport(ConnectTransport),
    /// `produce {kind, rtpParameters, transportId?}`: the client starts sending.
    Produce(Produce),
    /// `consume {rtpCapabilities?, producerId?, transportId?}`: forward a producer to the client.
    Consume(Consume),
    /// `resume` / `pause {transportId?}`: accepted for compatibility; consumers start unpaused.
    Resume,
    Pause,
    /// `close-transport {transportId}`: closes one transport (and what runs on it).
    CloseTransport(TransportRef),
}

impl ClientMessage {
    /// The wire `type`, for logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Ping { .. } => "ping",
            Self::Pong => "pong",
            Self::GetRtpCapabilities { .. } => "get-rtp-capabilities",
            Self::ClientRtpCapabilities { .. } => "client-rtp-capabilities",
            Self::CreateTransport(_) => "create-transport",
            Self::ConnectTransport(_) => "connect-transport",
            Self::Produce(_) => "produce",
            Self::Consume(_) => "consume",
            Self::Resume => "resume",
            Self::Pause => "pause",
            Self::CloseTransport(_) => "close-transport",
        }
    }
}

/// Which way a transport carries media, seen from the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// The client produces on it (mediasoup-client `createSendTransport`).
    Send,
    /// The client consumes on it (`createRecvTransport`).
    Recv,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Send => "send",
            Self::Recv => "recv",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CreateTransport {
    /// `data.type` when the client says (`send`/`recv`); otherwise the order decides.
    pub direction: Option<Direction>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransportRef {
    #[serde(default)]
    pub transport_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectTransport {
    pub dtls_parameters: DtlsParameters,
    #[serde(default)]
    pub transport_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Produce {
    pub kind: String,
    pub rtp_parameters: RtpParameters,
    #[serde(default)]
    pub transport_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Consume {
    #[serde(default)]
    pub rtp_capabilities: Option<RtpCapabilities>,
    #[serde(default)]
    pub producer_id: Option<String>,
    #[serde(default)]
    pub transport_id: Option<String>,
}

/// Why a frame could not be decoded. `Display` is the text of the error frame the client gets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Not JSON, or not a JSON object.
    #[error("Malformed JSON in message")]
    Malformed,
    /// No string `type` field (seed 001's exact text).
    #[error("Invalid message format: missing type")]
    MissingType,
    /// A `type` this protocol does not have (seed 001's exact text).
    #[error("Unknown message type: {0}")]
    UnknownType(String),
    /// A known type whose `data` lacks or mistypes a field; names the type and serde's reason.
    #[error("Invalid {kind} data: {reason}")]
    InvalidData { kind: &'static str, reason: String },
}

/// Decodes one text frame. Never panics.
pub fn decode_client(text: &str) -> Result<ClientMessage, DecodeError> {
    let Ok(Value::Object(mut frame)) = serde_json::from_str::<Value>(text) else {
        return Err(DecodeError::Malformed);
    };
    let kind = match frame.get("type") {
        Some(Value::String(kind)) => kind.clone(),
        _ => return Err(DecodeError::MissingType),
    };
    let data = frame.remove("data").unwrap_or(Value::Null);
    let request_id = frame.remove("requestId").filter(|v| !v.is_null());
    Ok(match kind.as_str() {
        "ping" => ClientMessage::Ping { request_id },
        "pong" => ClientMessage::Pong,
        "get-rtp-capabilities" => ClientMessage::GetRtpCapabilities { request_id },
        "client-rtp-capabilities" => {
            const KIND: &str = "client-rtp-capabilities";
            // dspeak takes `{rtpCapabilities: {...}}` or the bare capabilities object.
            let caps = match data {
                Value::Object(mut o) if o.contains_key("rtpCapabilities") => {
                    o.remove("rtpCapabilities").unwrap_or(Value::Null)
                }
                other => other,
            };
            if caps.is_null() {
                return Err(invalid(KIND, "missing rtpCapabilities"));
            }
            let capabilities = parse(KIND, caps)?;
            ClientMessage::ClientRtpCapabilities {
                capabilities,
                request_id,
            }
        }
        "create-transport" => {
            let direction = match data.get("type").and_then(Value::as_str) {
                Some("send") | Some("producer") => Some(Direction::Send),
                Some("recv") | Some("consumer") => Some(Direction::Recv),
                _ => None,
            };
            ClientMessage::CreateTransport(CreateTransport { direction })
        }
        "connect-transport" => ClientMessage::ConnectTransport(parse("connect-transport", data)?),
        "produce" => ClientMessage::Produce(parse("produce", data)?),
        "consume" => ClientMessage::Consume(if data.is_null() {
            Consume::default()
        } else {
            parse("consume", data)?
        }),
        "resume" => ClientMessage::Resume,
        "pause" => ClientMessage::Pause,
        "close-transport" => ClientMessage::CloseTransport(if data.is_null() {
            TransportRef::default()
        } else {
            parse("close-transport", data)?
        }),
        _ => return Err(DecodeError::UnknownType(kind)),
    })
}

fn parse<T: serde::de::DeserializeOwned>(
    kind: &'static str,
    data: Value,
) -> Result<T, DecodeError> {
    if data.is_null() {
        return Err(invalid(kind, "missing data"));
    }
    serde_json::from_value(data).map_err(|e| invalid(kind, &e.to_string()))
}

fn invalid(kind: &'static str, reason: &str) -> DecodeError {
    DecodeError::InvalidData {
        kind,
        reason: reason.to_owned(),
    }
}
