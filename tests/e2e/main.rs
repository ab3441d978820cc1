//! End-to-end tests: a real host on 127.0.0.1:0, real WebSockets, real WebRTC over loopback UDP,
//! real Opus. Every wait is bounded.

mod browser;
mod closing;
mod devices;
mod dspeak_browser;
mod interop;
mod limits;
mod sfu_audio;
mod sfu_control;
mod sfu_protocol;
mod sfu_workers;
mod tls;
mod turn;
mod world;
mod world_bot;
mod world_reconnect;
mod world_voice;
