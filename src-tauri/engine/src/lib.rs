//! Hearth's client engine, free of any window: audio sources and sinks, Opus, WebRTC media, the
//! `/signal` session, the `/world` session, P2P links and the client that ties them together
//! ([`client::HearthClient`]). The desktop app (`hearth-client`), `hearth-bot` and the tests all
//! use it; it builds without Node, the UI or WebKit.

pub mod audio;
pub mod client;
pub mod events;
pub mod http;
pub mod inspect;
pub mod media;
pub mod p2p;
pub mod sfu_client;
pub mod tls;
pub mod voice;
pub mod world_client;
