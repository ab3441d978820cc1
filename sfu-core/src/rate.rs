//! Per-connection rate limiting (sans-IO: time is passed in): a token bucket, plus a verdict of
//! abuse when a client keeps sending far past its limit. Used by `/signal` and `/world`.

use std::time::{Duration, Instant};

/// What to do with one incoming message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Drop it; `notify` is true at most once a second, to send a `rate_limited` error.
    Drop {
        notify: bool,
    },
    /// The client kept flooding: close the connection.
    Abuse,
}

/// A token bucket of `rate` per second with `burst` capacity. Dropping more than `abuse_after`
/// messages without the bucket refilling in between counts as abuse.
#[derive(Debug)]
pub struct RateLimiter {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Option<Instant>,
    dropped_in_a_row: u32,
    abuse_after: u32,
    last_notice: Option<Instant>,
}

impl RateLimiter {
    pub fn new(rate: f64, burst: f64, abuse_after: u32) -> Self {
        Self {
            rate,
            burst,
            tokens: burst,
            last: None,
            dropped_in_a_row: 0,
            abuse_after,
            last_notice: None,
        }
    }

    /// The `/signal` limit: 100 messages/s with a burst of 200; 2000 drops in a row is abuse.
    pub fn signaling() -> Self {
        Self::new(100.0, 200.0, 2000)
    }

    pub fn admit(&mut self, now: Instant) -> Verdict {
        if let Some(last) = self.last {
            let elapsed = now.saturating_duration_since(last).as_secs_f64();
            self.tokens = (self.tokens + elapsed * self.rate).min(self.burst);
        }
        self.last = Some(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            self.dropped_in_a_row = 0;
            return Verdict::Allow;
        }
        self.dropped_in_a_row += 1;
        if self.dropped_in_a_row > self.abuse_after {
            return Verdict::Abuse;
        }
        let notify = self
            .last_notice
            .is_none_or(|t| now.saturating_duration_since(t) >= Duration::from_secs(1));
        if notify {
            self.last_notice = Some(now);
        }
        Verdict::Drop { notify }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_limit_then_refill() {
        let t0 = Instant::now();
        let mut limiter = RateLimiter::new(10.0, 5.0, 100);
        for _ in 0..5 {
            assert_eq!(limiter.admit(t0), Verdict::Allow);
        }
        assert_eq!(
            limiter.admit(t0),
            Verdict::Drop { notify: true },
            "burst exhausted"
        );
        assert_eq!(
            limiter.admit(t0),
            Verdict::Drop { notify: false },
            "one notice a second"
        );
        assert_eq!(
            limiter.admit(t0 + Duration::from_millis(100)),
            Verdict::Allow,
            "refilled one token"
        );
    }

    #[test]
    fn sustained_flood_is_abuse() {
        let t0 = Instant::now();
        let mut limiter = RateLimiter::new(1.0, 1.0, 3);
        assert_eq!(limiter.admit(t0), Verdict::Allow);
        for _ in 0..3 {
            assert!(matches!(limiter.admit(t0), Verdict::Drop { .. }));
        }
        assert_eq!(limiter.admit(t0), Verdict::Abuse);
    }
}
