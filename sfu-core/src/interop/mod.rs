//! The interop link between the SFU and the main (world) server, `/dspeak/interop` (seed 000, SPEC section 5).

pub mod link;
pub mod presence;
pub mod wire;
