//! Server -> client frames of `/socket` and their JSON. The shapes are dspeak's (see the module
//! docs): most carry `data`, but `pong`, `currentlyInChannel` and `force_disconnect` put their
//! fields at the top level, as the dspeak client reads them.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::ortc::{DtlsParameters, IceCandidate, IceParameters, RtpParameters};

/// A frame to a dspeak client.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
    /// Sent once after the socket is admitted.
    Connected {
        channel_id: String,
        user_id: String,
    },
    /// Reply to `ping`: the server's unix time in ms, and the ping's `requestId` (or null).
    Pong {
        timestamp: i64,
        request_id: Option<Value>,
    },
    /// Reply to `get-rtp-capabilities`.
    RtpCapabilities {
        capabilities: Value,
        request_id: Option<Value>,
    },
    /// Reply to `client-rtp-capabilities`.
    RtpCapabilitiesAck {
        request_id: Option<Value>,
    },
    /// Who is in the channel and which producers exist; to every dspeak client of the channel
    /// after each join, leave and producer change.
    CurrentlyInChannel(Presence),
    /// The channel's producers, after a producer starts or stops.
    AvailableProducers(Presence),
    /// Reply to `create-transport`.
    TransportParams(TransportParams),
    /// Reply to `connect-transport`.
    TransportConnected {
        id: String,
    },
    /// Reply to `produce`.
    ProducerId {
        id: String,
        user_id: String,
        channel_id: String,
    },
    /// Reply to `consume`.
    ConsumerParams(ConsumerParams),
    /// A producer this client consumed went away; its consumer is closed.
    ProducerClosed {
        producer_id: String,
        consumer_id: String,
    },
    /// Replies to `resume` and `pause`.
    Resumed,
    Paused,
    /// Reply to `close-transport`.
    TransportClosed {
        id: String,
    },
    /// The server disconnects this client (kicked, moved, replaced, forced by the main server).
    ForceDisconnect {
        reason: String,
    },
    /// Any refusal: `{"type":"error","data":"<reason>"}`.
    Error(String),
}

/// Presence of one channel: users (sorted) and producers with their owners.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Presence {
    pub in_room: Vec<String>,
    pub producers: Vec<String>,
    pub producer_user_map: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TransportParams {
    pub id: String,
    pub ice_parameters: IceParameters,
    pub ice_candidates: Vec<IceCandidate>,
    pub dtls_parameters: DtlsParameters,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConsumerParams {
    pub id: String,
    pub producer_id: String,
    pub kind: String,
    pub rtp_parameters: RtpParameters,
    pub user_id: String,
}

impl ServerMessage {
    /// The frame as JSON.
    pub fn to_value(&self) -> Value {
        match self {
            Self::Connected {
                channel_id,
                user_id,
            } => json!({"type": "connected", "data": {
                "channelId": channel_id, "userId": user_id,
                "message": "dspeak socket connection successful"}}),
            Self::Pong {
                timestamp,
                request_id,
            } => json!({"type": "pong", "timestamp": timestamp, "requestId": request_id}),
            Self::RtpCapabilities {
                capabilities,
                request_id,
            } => json!({"type": "rtp-capabilities", "data": capabilities, "requestId": request_id}),
            Self::RtpCapabilitiesAck { request_id } => {
                json!({"type": "rtp-capabilities-ack", "requestId": request_id})
            }
            Self::CurrentlyInChannel(p) => json!({"type": "currentlyInChannel",
                "inRoom": p.in_room, "producers": p.producers,
                "producerUserMap": p.producer_user_map}),
            Self::AvailableProducers(p) => json!({"type": "available-producers", "data": {
                "producers": p.producers, "producerUserMap": p.producer_user_map}}),
            Self::TransportParams(t) => json!({"type": "transport-params", "data": t}),
            Self::TransportConnected { id } => {
                json!({"type": "transport-connected", "data": {"id": id}})
            }
            Self::ProducerId {
                id,
                user_id,
                channel_id,
            } => json!({"type": "producer-id", "data": {
                "id": id, "userId": user_id, "channelId": channel_id}}),
            Self::ConsumerParams(c) => json!({"type": "consumer-params", "data": c}),
            Self::ProducerClosed {
                producer_id,
                consumer_id,
            } => json!({"type": "producer-closed", "data": {
                "producerId": producer_id, "consumerId": consumer_id}}),
            Self::Resumed => json!({"type": "resumed"}),
            Self::Paused => json!({"type": "paused"}),
            Self::TransportClosed { id } => {
                json!({"type": "transport-closed", "data": {"id": id}})
            }
            Self::ForceDisconnect { reason } => {
                json!({"type": "force_disconnect", "reason": reason})
            }
            Self::Error(reason) => json!({"type": "error", "data": reason}),
        }
    }

    /// The frame as JSON text.
    pub fn to_json(&self) -> String {
        self.to_value().to_string()
    }
}
