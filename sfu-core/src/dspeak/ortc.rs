//! mediasoup's ORTC-style parameter shapes, as mediasoup-client sends and expects them
//! (versatica/mediasoup-client `src/RtpParameters.ts`, `src/Transport.ts`). Only the fields
//! Hearth reads or writes are typed; unknown fields are ignored on input.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The server's ICE credentials. Hearth's transports are ICE-lite (the client never sends
/// its own credentials in this protocol, so the server cannot run checks of its own).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IceParameters {
    pub username_fragment: String,
    pub password: String,
    pub ice_lite: bool,
}

/// One ICE candidate of the server (always a UDP host candidate: the one media socket).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IceCandidate {
    pub foundation: String,
    pub priority: u32,
    /// mediasoup >= 3.13 names it `address`; older clients read `ip`. Both are sent.
    pub ip: String,
    pub address: String,
    pub port: u16,
    pub protocol: String,
    #[serde(rename = "type")]
    pub kind: String,
}

/// DTLS role and certificate fingerprints of one side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DtlsParameters {
    /// `auto`, `client` or `server`; absent means `auto`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    pub fingerprints: Vec<DtlsFingerprint>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DtlsFingerprint {
    /// `sha-256`, `sha-1`, ...
    pub algorithm: String,
    /// Colon-separated hex bytes (`AB:CD:...`).
    pub value: String,
}

impl DtlsFingerprint {
    /// The fingerprint as str0m wants it, or None when the value is not colon-separated hex.
    pub fn to_str0m(&self) -> Option<str0m::config::Fingerprint> {
        let bytes = self
            .value
            .split(':')
            .map(|b| {
                (b.len() == 2)
                    .then(|| u8::from_str_radix(b, 16).ok())
                    .flatten()
            })
            .collect::<Option<Vec<u8>>>()?;
        (!bytes.is_empty()).then(|| str0m::config::Fingerprint {
            hash_func: self.algorithm.to_ascii_lowercase(),
            bytes,
        })
    }

    /// The wire form of a str0m fingerprint.
    pub fn from_str0m(f: &str0m::config::Fingerprint) -> Self {
        let value = f
            .bytes
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect::<Vec<_>>()
            .join(":");
        Self {
            algorithm: f.hash_func.clone(),
            value,
        }
    }
}

/// What a producer sends or a consumer receives (mediasoup `RtpParameters`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RtpParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mid: Option<String>,
    pub codecs: Vec<RtpCodecParameters>,
    #[serde(default)]
    pub header_extensions: Vec<RtpHeaderExtensionParameters>,
    #[serde(default)]
    pub encodings: Vec<RtpEncodingParameters>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rtcp: Option<RtcpParameters>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RtpCodecParameters {
    pub mime_type: String,
    pub payload_type: u8,
    pub clock_rate: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<u8>,
    #[serde(default)]
    pub parameters: Map<String, Value>,
    #[serde(default)]
    pub rtcp_feedback: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RtpHeaderExtensionParameters {
    pub uri: String,
    pub id: u8,
    #[serde(default)]
    pub encrypt: bool,
    #[serde(default)]
    pub parameters: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RtpEncodingParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssrc: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dtx: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RtcpParameters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cname: Option<String>,
    #[serde(default = "yes")]
    pub reduced_size: bool,
}

fn yes() -> bool {
    true
}

/// What an endpoint can receive (mediasoup `RtpCapabilities`): only `codecs` is read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RtpCapabilities {
    pub codecs: Vec<RtpCodecCapability>,
    #[serde(default)]
    pub header_extensions: Vec<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RtpCodecCapability {
    pub kind: String,
    pub mime_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_payload_type: Option<u8>,
    pub clock_rate: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channels: Option<u8>,
    #[serde(default)]
    pub parameters: Map<String, Value>,
    #[serde(default)]
    pub rtcp_feedback: Vec<Value>,
}

impl RtpCapabilities {
    /// Whether these capabilities can receive Opus (the only codec the dspeak router has).
    pub fn has_opus(&self) -> bool {
        self.codecs
            .iter()
            .any(|c| c.mime_type.eq_ignore_ascii_case(OPUS_MIME))
    }
}

pub const OPUS_MIME: &str = "audio/opus";
/// Opus's payload type on Hearth's transports: str0m's default, and Chromium's.
pub const OPUS_PAYLOAD_TYPE: u8 = 111;
/// Header extensions Hearth writes on forwarded audio, with str0m's standard ids.
const AUDIO_EXTENSIONS: [(&str, u8); 3] = [
    ("urn:ietf:params:rtp-hdrext:ssrc-audio-level", 1),
    (
        "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        2,
    ),
    ("urn:ietf:params:rtp-hdrext:sdes:mid", 4),
];

/// The router's capabilities (`get-rtp-capabilities`): Opus 48 kHz stereo only, like dspeak.
pub fn router_rtp_capabilities() -> Value {
    let extensions: Vec<Value> = AUDIO_EXTENSIONS
        .iter()
        .map(|(uri, id)| {
            serde_json::json!({
                "kind": "audio", "uri": uri, "preferredId": id,
                "preferredEncrypt": false, "direction": "sendrecv"
            })
        })
        .collect();
    serde_json::json!({
        "codecs": [{
            "kind": "audio",
            "mimeType": OPUS_MIME,
            "preferredPayloadType": OPUS_PAYLOAD_TYPE,
            "clockRate": 48000,
            "channels": 2,
            "parameters": {"minptime": 10, "useinbandfec": 1},
            "rtcpFeedback": []
        }],
        "headerExtensions": extensions
    })
}

/// The parameters of one forwarded Opus stream, for `consumer-params`.
pub fn consumer_rtp_parameters(mid: &str, ssrc: u32, cname: &str) -> RtpParameters {
    let mut parameters = Map::new();
    parameters.insert("minptime".into(), 10.into());
    parameters.insert("useinbandfec".into(), 1.into());
    RtpParameters {
        mid: Some(mid.to_owned()),
        codecs: vec![RtpCodecParameters {
            mime_type: OPUS_MIME.to_owned(),
            payload_type: OPUS_PAYLOAD_TYPE,
            clock_rate: 48000,
            channels: Some(2),
            parameters,
            rtcp_feedback: Vec::new(),
        }],
        header_extensions: AUDIO_EXTENSIONS
            .iter()
            .map(|(uri, id)| RtpHeaderExtensionParameters {
                uri: (*uri).to_owned(),
                id: *id,
                encrypt: false,
                parameters: Map::new(),
            })
            .collect(),
        encodings: vec![RtpEncodingParameters {
            ssrc: Some(ssrc),
            dtx: None,
        }],
        rtcp: Some(RtcpParameters {
            cname: Some(cname.to_owned()),
            reduced_size: true,
        }),
    }
}
