//! When and how often a world session dials again after losing its socket (sans-IO: no clock,
//! no sockets). The Proxima client rules (`FAILURE_MODES.md`, `CLIENT_STATE_MACHINE.md`): wait
//! 1, 2, 4, 8, 16, then 30 s between attempts, at most 10 attempts.
//!
//! Which losses are worth a retry is decided from the WebSocket close code: no code at all (a
//! socket error, EOF, a dead proxy) and the codes of a server that is restarting or briefly
//! unwell are retried; a normal close, a protocol or policy close, and every Hearth application
//! code (`4xxx`: kicked, replaced, refused token, unsupported version, rate-limit abuse) mean
//! "do not come back" and end the session.

use std::time::Duration;

/// Close codes after which the client dials again. RFC 6455 section 7.4.1 and the IANA
/// registry: 1001 going away (a server shutting down or restarting), 1006 abnormal closure,
/// 1011 internal error (Hearth: "server unavailable"), 1012 service restart, 1013 try again
/// later, 1014 bad gateway; 4001 is Hearth's "connect timeout", a slow link rather than a
/// refusal.
const RETRYABLE_CODES: [u16; 7] = [1001, 1006, 1011, 1012, 1013, 1014, 4001];

/// How a lost world socket is dialled again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconnectPolicy {
    /// The wait before the first attempt; doubled for each further attempt.
    pub first_delay: Duration,
    /// The longest wait between two attempts.
    pub max_delay: Duration,
    /// Attempts made (since the last successful `WORLD_STATE`) before giving up.
    pub max_attempts: u32,
}

impl Default for ReconnectPolicy {
    /// The Proxima rules: 1, 2, 4, 8, 16, 30, 30, ... s, at most 10 attempts.
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(30),
            max_attempts: 10,
        }
    }
}

impl ReconnectPolicy {
    /// The wait before attempt `attempt` (1-based): `first_delay * 2^(attempt-1)`, at most
    /// `max_delay`.
    pub fn delay(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(1).min(31);
        self.first_delay
            .saturating_mul(1 << doublings)
            .min(self.max_delay)
    }

    /// Whether a socket lost with close `code` (`None`: no close frame, i.e. a socket error or
    /// EOF) should be dialled again.
    pub fn retries(&self, code: Option<u16>) -> bool {
        code.is_none_or(|code| RETRYABLE_CODES.contains(&code))
    }
}

/// The attempts made since the last success, against a [`ReconnectPolicy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    policy: ReconnectPolicy,
    attempts: u32,
}

impl Backoff {
    /// A backoff that has made no attempt yet.
    pub fn new(policy: ReconnectPolicy) -> Self {
        Self {
            policy,
            attempts: 0,
        }
    }

    /// The rules followed.
    pub fn policy(&self) -> &ReconnectPolicy {
        &self.policy
    }

    /// Attempts made since the last [`Backoff::reset`].
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Counts one more attempt and returns its number (1-based) and the wait before it; `None`
    /// once all attempts are used up (the counter then stays where it is).
    pub fn next_attempt(&mut self) -> Option<(u32, Duration)> {
        if self.attempts >= self.policy.max_attempts {
            return None;
        }
        self.attempts += 1;
        Some((self.attempts, self.policy.delay(self.attempts)))
    }

    /// A connection succeeded: the next loss starts again from the first delay.
    pub fn reset(&mut self) {
        self.attempts = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_from_one_second_up_to_thirty_and_stop_after_ten_attempts() {
        let mut backoff = Backoff::new(ReconnectPolicy::default());
        let delays: Vec<(u32, u64)> = std::iter::from_fn(|| backoff.next_attempt())
            .map(|(attempt, delay)| (attempt, delay.as_secs()))
            .collect();
        assert_eq!(
            delays,
            vec![
                (1, 1),
                (2, 2),
                (3, 4),
                (4, 8),
                (5, 16),
                (6, 30),
                (7, 30),
                (8, 30),
                (9, 30),
                (10, 30)
            ],
            "the Proxima sequence, ten attempts"
        );
        assert_eq!(backoff.next_attempt(), None, "no eleventh attempt");
        assert_eq!(backoff.attempts(), 10);
        assert_eq!(
            ReconnectPolicy::default().delay(1000),
            Duration::from_secs(30),
            "no overflow far out"
        );
    }

    #[test]
    fn a_reset_starts_again_from_the_first_delay() {
        let mut backoff = Backoff::new(ReconnectPolicy::default());
        for _ in 0..4 {
            backoff.next_attempt();
        }
        backoff.reset();
        assert_eq!(backoff.next_attempt(), Some((1, Duration::from_secs(1))));
    }

    #[test]
    fn lost_sockets_and_restarts_are_retried_refusals_and_dismissals_are_not() {
        let policy = ReconnectPolicy::default();
        for code in [
            None,
            Some(1001),
            Some(1006),
            Some(1011),
            Some(1012),
            Some(1013),
        ] {
            assert!(policy.retries(code), "{code:?} must be retried");
        }
        // 1000 normal, 1002 protocol error, 1008 policy, 4002 version, 4003 auth failed,
        // 4008 rate-limit abuse, 4010 kicked, 4013 replaced by another sign-in.
        for code in [1000, 1002, 1003, 1008, 4002, 4003, 4008, 4010, 4013, 4999] {
            assert!(!policy.retries(Some(code)), "{code} must end the session");
        }
    }
}
