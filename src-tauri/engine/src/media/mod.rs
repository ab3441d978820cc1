//! Media of the client engine: the WebRTC peer connection and the audio send and receive paths.

pub mod downlink;
pub mod peer;
pub mod probe;
pub mod uplink;
