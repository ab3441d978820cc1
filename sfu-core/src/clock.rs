//! Time as the sans-IO state machines (the SFU, the world server) take it: passed in, never read.

use std::time::Instant;

/// The current time, both monotonic (media, timers) and wall clock (tokens, pongs).
#[derive(Debug, Clone, Copy)]
pub struct Now {
    pub instant: Instant,
    pub unix_ms: i64,
}

impl Now {
    pub fn unix_secs(&self) -> i64 {
        self.unix_ms.div_euclid(1000)
    }
}
