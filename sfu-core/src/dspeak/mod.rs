//! Typed messages of the dspeak client protocol `/socket` (SPEC section 7, seed 001).
//!
//! Frames are JSON `{type, data}`. The shapes follow the dspeak backend (darel919/dspeak2-sfu,
//! described in `shared/research/peers.md` section 2.3) so its mediasoup-client keeps working:
//! `ping` -> `pong`, `create-transport` -> `transport-params`, `connect-transport` ->
//! `transport-connected`, `produce` -> `producer-id`, `consume` -> `consumer-params`, presence as
//! `currentlyInChannel`, and every failure as `{"type":"error","data":"<reason>"}`.
//!
//! One enum per direction: [`ClientMessage`] (decoded with [`decode_client`]) and
//! [`ServerMessage`] (encoded with [`ServerMessage::to_json`]). The ORTC parameter shapes
//! (mediasoup's `IceParameters`, `DtlsParameters`, `RtpParameters`, ...) live in [`ortc`].
//! Decoding never panics; a frame that cannot be decoded yields a [`DecodeError`] whose
//! `Display` is the seed's error text.

mod client;
pub mod ortc;
mod server;

#[cfg(test)]
mod tests;

pub use client::{
    ClientMessage, ConnectTransport, Consume, CreateTransport, DecodeError, Direction, Produce,
    TransportRef, decode_client,
};
pub use server::{ConsumerParams, Presence, ServerMessage, TransportParams};

/// The query of `GET /socket?auth=<auth>&channelId=<id>`: who joins which channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Join {
    /// A signed SFU token, or (only with `--dspeak-open`) a bare decimal user id.
    pub auth: String,
    pub channel: crate::ids::ChannelId,
}
