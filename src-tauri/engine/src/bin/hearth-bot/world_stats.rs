//! What `hearth-bot world-load` measures: when each presence update was sent (keyed by user and
//! position, which the run makes unique per update), when and how often it came back as a
//! `PRESENCE_BROADCAST`, and per-user counters.
//!
//! Senders and receivers share this process's clock ([`now_ns`](hearth_engine::media::probe::now_ns)),
//! so a delay is exact: receipt time minus send time, nothing on the wire but the position.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};

/// One presence update a user sent.
#[derive(Debug, Clone, Copy)]
pub struct Sent {
    /// Send time, ns.
    pub sent_ns: u64,
    /// First and last receipt by any peer, ns (`u64::MAX` and 0 before the first).
    pub first_ns: u64,
    pub last_ns: u64,
    /// Peers that received it.
    pub receipts: u32,
}

/// Send times of every user's updates, one lock per user (its sender writes, its zone's peers
/// read), so 150 users do not contend on one lock.
pub struct SendLog {
    users: Vec<Mutex<HashMap<(u64, u64), Sent>>>,
}

fn key(x: f64, y: f64) -> (u64, u64) {
    (x.to_bits(), y.to_bits())
}

impl SendLog {
    /// A log for `users` users, indexed from 0.
    pub fn new(users: usize) -> Self {
        Self {
            users: (0..users).map(|_| Mutex::default()).collect(),
        }
    }

    /// User `user` sent `(x, y)` at `sent_ns`. False when that position was already logged for
    /// the user (the run makes positions unique, so this is a bug in the run).
    pub fn sent(&self, user: usize, x: f64, y: f64, sent_ns: u64) -> bool {
        let Some(log) = self.users.get(user) else {
            return false;
        };
        let mut log = log.lock().unwrap_or_else(PoisonError::into_inner);
        let fresh = Sent {
            sent_ns,
            first_ns: u64::MAX,
            last_ns: 0,
            receipts: 0,
        };
        log.insert(key(x, y), fresh).is_none()
    }

    /// A peer received user `user` at `(x, y)` at `now_ns`: the send time, if logged.
    pub fn received(&self, user: usize, x: f64, y: f64, now_ns: u64) -> Option<u64> {
        let mut log = self
            .users
            .get(user)?
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let sent = log.get_mut(&key(x, y))?;
        sent.first_ns = sent.first_ns.min(now_ns);
        sent.last_ns = sent.last_ns.max(now_ns);
        sent.receipts += 1;
        Some(sent.sent_ns)
    }

    /// Every update sent in `[from_ns, to_ns]`, with the user who sent it.
    pub fn sent_between(&self, from_ns: u64, to_ns: u64) -> Vec<(usize, Sent)> {
        let mut out = Vec::new();
        for (user, log) in self.users.iter().enumerate() {
            let log = log.lock().unwrap_or_else(PoisonError::into_inner);
            out.extend(
                log.values()
                    .filter(|s| (from_ns..=to_ns).contains(&s.sent_ns))
                    .map(|s| (user, *s)),
            );
        }
        out
    }
}

/// The measurement window, in ns; closed (`u64::MAX`) until opened.
pub struct Window {
    start: AtomicU64,
    end: AtomicU64,
}

impl Default for Window {
    fn default() -> Self {
        Self {
            start: AtomicU64::new(u64::MAX),
            end: AtomicU64::new(u64::MAX),
        }
    }
}

impl Window {
    /// Opens the window at `at_ns`.
    pub fn open(&self, at_ns: u64) {
        self.start.store(at_ns, Ordering::Relaxed);
    }

    /// Closes the window at `at_ns`.
    pub fn close(&self, at_ns: u64) {
        self.end.store(at_ns, Ordering::Relaxed);
    }

    /// Whether `t_ns` lies in the window.
    pub fn contains(&self, t_ns: u64) -> bool {
        let (start, end) = (
            self.start.load(Ordering::Relaxed),
            self.end.load(Ordering::Relaxed),
        );
        start <= t_ns && t_ns <= end
    }

    /// `(start, end)`, ns.
    pub fn bounds(&self) -> (u64, u64) {
        (
            self.start.load(Ordering::Relaxed),
            self.end.load(Ordering::Relaxed),
        )
    }
}

/// What one load user saw. Counts marked "in the window" cover events received (or updates
/// sent) inside it; delays cover broadcasts of updates *sent* inside it, whenever received.
#[derive(Debug, Default)]
pub struct UserStats {
    /// Receipt minus send of each broadcast of an update sent in the window, µs.
    pub delays_us: Vec<u32>,
    /// `PRESENCE_BROADCAST`s received in the window.
    pub presence_received: u64,
    /// Server messages of any kind received in the window.
    pub messages_received: u64,
    /// Presence updates this user sent in the window.
    pub updates_sent: u64,
    /// Broadcasts received in the window whose (user, position) was never logged as sent.
    pub unmatched: u64,
    /// `POSITION_CORRECTION`s received, whole run.
    pub corrections: u64,
    /// `ERROR`s received, whole run; the first few codes kept.
    pub errors: u64,
    pub error_samples: Vec<String>,
    /// Why the session ended before the run stopped it, if it did.
    pub ended_early: Option<String>,
    /// Events the engine dropped because this user fell behind.
    pub events_dropped: u64,
}

impl UserStats {
    /// Notes an error (keeps the first three descriptions).
    pub fn error(&mut self, what: String) {
        self.errors += 1;
        if self.error_samples.len() < 3 {
            self.error_samples.push(what);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_find_their_send_and_spread_is_tracked() {
        let log = SendLog::new(2);
        assert!(log.sent(1, 3.5, 4.0000001, 1_000));
        assert!(
            !log.sent(1, 3.5, 4.0000001, 2_000),
            "duplicates are reported"
        );
        assert!(log.sent(1, 3.5, 4.0000002, 1_500));
        assert_eq!(log.received(1, 3.5, 4.0000001, 9_000), Some(2_000));
        assert_eq!(log.received(1, 3.5, 4.0000001, 7_000), Some(2_000));
        assert_eq!(log.received(0, 3.5, 4.0000001, 7_000), None, "other user");
        assert_eq!(log.received(7, 0.0, 0.0, 7_000), None, "no such user");
        let sent = log.sent_between(1_800, 2_000);
        assert_eq!(sent.len(), 1);
        let (user, s) = sent[0];
        assert_eq!(
            (user, s.first_ns, s.last_ns, s.receipts),
            (1, 7_000, 9_000, 2)
        );
    }

    #[test]
    fn the_window_is_closed_until_opened() {
        let window = Window::default();
        assert!(!window.contains(5));
        window.open(10);
        assert!(window.contains(u64::MAX - 1), "open-ended until closed");
        window.close(20);
        assert!(window.contains(20) && !window.contains(21) && !window.contains(9));
    }
}
