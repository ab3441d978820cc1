//! Hearth's server side: the SFU (`/signal`), token checks, and the `hearth-host` shell.
//!
//! Decision-making code is sans-IO (time passed in, effects returned); the `host` module holds
//! the thin async shells around it.

pub mod auth;
pub mod clock;
pub mod dspeak;
pub mod host;
pub mod ids;
pub mod interop;
#[cfg(test)]
mod mutation;
pub mod perms;
pub mod rate;
pub mod roles;
pub mod sfu;
pub mod signal;
pub mod world;
