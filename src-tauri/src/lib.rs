//! Hearth's client: the desktop app ([`app`], a Tauri 2 window) over a client engine free of
//! Tauri types, so it runs headless: audio sources and sinks,
//! Opus, WebRTC media, the `/signal` session and the `/world` session. The desktop shell and
//! `hearth-bot` use it.

pub mod app;
pub mod audio;
pub mod client;
pub mod events;
pub mod http;
pub mod inspect;
pub mod media;
pub mod p2p;
pub mod sfu_client;
pub mod voice;
pub mod world_client;
