//! Client-side pacing of `PRESENCE_UPDATE` (sans-IO: time is passed in), and the smoothing of a
//! drawn position towards a server correction.

use std::time::{Duration, Instant};

use sfu_core::world::wire::{Position, PresenceUpdate};

/// Most presence updates a client sends per second (SPEC section 6: at most 15 Hz).
pub const PRESENCE_RATE_HZ: f64 = 15.0;

/// Updates that may go out back to back after a quiet spell. Two absorb timer jitter in a caller
/// that ticks at exactly 15 Hz (a late tick followed by an on-time one) without holding either
/// back; the server's own bucket (15/s, burst 15) still has ample room.
const BURST: f64 = 2.0;

/// Tolerance on a whole token: refills are f64 sums of durations, and a timer set for the moment
/// a token is complete must find it complete.
const EPSILON: f64 = 1e-9;

/// A token bucket of [`PRESENCE_RATE_HZ`] per second holding at most two updates, plus the one
/// latest update that had to wait. Over any window of `w` seconds at most `1 + 15 w` updates
/// leave after a fresh start, and at most `2 + 15 w` ever; an update that has to wait is replaced
/// by any later one, so the server always gets the newest position.
#[derive(Debug, Clone)]
pub struct PresenceThrottle {
    tokens: f64,
    last: Option<Instant>,
    pending: Option<PresenceUpdate>,
}

impl Default for PresenceThrottle {
    fn default() -> Self {
        Self::new()
    }
}

impl PresenceThrottle {
    /// A throttle that lets the first update through at once.
    pub fn new() -> Self {
        Self {
            tokens: 1.0,
            last: None,
            pending: None,
        }
    }

    fn refill(&mut self, now: Instant) {
        if let Some(last) = self.last {
            let elapsed = now.saturating_duration_since(last).as_secs_f64();
            self.tokens = (self.tokens + elapsed * PRESENCE_RATE_HZ).min(BURST);
        }
        self.last = Some(now);
    }

    /// Offers an update at `now`: returned when it may be sent now, else kept (replacing any
    /// update still waiting) until [`PresenceThrottle::poll_timeout`].
    pub fn offer(&mut self, now: Instant, update: PresenceUpdate) -> Option<PresenceUpdate> {
        self.refill(now);
        if self.pending.is_none() && self.tokens >= 1.0 - EPSILON {
            self.tokens = (self.tokens - 1.0).max(0.0);
            return Some(update);
        }
        self.pending = Some(update);
        None
    }

    /// When the waiting update may go, if one waits.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.pending.as_ref()?;
        let last = self.last?;
        let missing = (1.0 - self.tokens).max(0.0);
        Some(last + Duration::from_secs_f64(missing / PRESENCE_RATE_HZ))
    }

    /// The waiting update, if it may be sent at `now`.
    pub fn handle_timeout(&mut self, now: Instant) -> Option<PresenceUpdate> {
        self.pending.as_ref()?;
        self.refill(now);
        if self.tokens < 1.0 - EPSILON {
            return None;
        }
        self.tokens = (self.tokens - 1.0).max(0.0);
        self.pending.take()
    }

    /// Drops the waiting update (it was planned from a position the server refused).
    pub fn discard_pending(&mut self) {
        self.pending = None;
    }
}

/// How long a drawn avatar takes to glide to a corrected position.
pub const CORRECTION_GLIDE: Duration = Duration::from_millis(150);

/// A drawn position gliding from where the client predicted to where the server says, while
/// the logical position has already snapped there.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Glide {
    from: Position,
    to: Position,
    start: Instant,
}

impl Glide {
    /// A glide from `from` to `to` starting at `start`.
    pub fn new(from: Position, to: Position, start: Instant) -> Self {
        Self { from, to, start }
    }

    /// Where to draw at `now`: linear from `from` to `to` over [`CORRECTION_GLIDE`].
    pub fn at(&self, now: Instant) -> Position {
        let t = now.saturating_duration_since(self.start).as_secs_f64()
            / CORRECTION_GLIDE.as_secs_f64();
        let t = t.clamp(0.0, 1.0);
        Position::new(
            self.from.x + (self.to.x - self.from.x) * t,
            self.from.y + (self.to.y - self.from.y) * t,
        )
    }

    /// Whether the glide has reached its end at `now`.
    pub fn done(&self, now: Instant) -> bool {
        now.saturating_duration_since(self.start) >= CORRECTION_GLIDE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sfu_core::world::wire::{AvatarState, Facing};

    fn update(x: f64) -> PresenceUpdate {
        PresenceUpdate {
            position: Position::new(x, 0.0),
            facing: Facing::East,
            state: AvatarState::Walking,
            zone_id: None,
        }
    }

    #[test]
    fn a_steady_fifteen_hertz_caller_is_never_held_back_despite_jitter() {
        let t0 = Instant::now();
        let mut throttle = PresenceThrottle::new();
        let period = Duration::from_secs_f64(1.0 / 15.0);
        for i in 0..150u32 {
            // Every other tick 5 ms late, the next one on time.
            let late = if i % 2 == 1 { 5 } else { 0 };
            let at = t0 + period * i + Duration::from_millis(late);
            assert!(
                throttle.offer(at, update(f64::from(i))).is_some(),
                "tick {i} must go out at once"
            );
        }
    }

    #[test]
    fn the_glide_ends_at_the_correction() {
        let t0 = Instant::now();
        let glide = Glide::new(Position::new(0.0, 0.0), Position::new(3.0, 0.0), t0);
        assert_eq!(glide.at(t0), Position::new(0.0, 0.0));
        let half = glide.at(t0 + CORRECTION_GLIDE / 2);
        assert!((half.x - 1.5).abs() < 1e-9, "halfway: {half:?}");
        assert_eq!(glide.at(t0 + CORRECTION_GLIDE * 3), Position::new(3.0, 0.0));
        assert!(glide.done(t0 + CORRECTION_GLIDE));
        assert!(!glide.done(t0));
    }
}
