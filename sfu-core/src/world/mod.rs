//! The voice world (seed 004).

pub mod map;
pub mod server;
pub mod wire;
