//! Presence coalescing: the latest state of each moved user is broadcast to its zone at most
//! ten times a second.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::world::map::ZoneId;

/// Broadcast period (10 Hz).
pub const BROADCAST_PERIOD: Duration = Duration::from_millis(100);

/// Users whose presence changed since the last broadcast, per zone.
#[derive(Debug, Default)]
pub struct PresenceFlush {
    dirty: BTreeMap<ZoneId, BTreeSet<Uuid>>,
    last_flush: Option<Instant>,
}

impl PresenceFlush {
    /// Notes that `user` moved in `zone`.
    pub fn mark(&mut self, zone: &ZoneId, user: Uuid) {
        self.dirty.entry(zone.clone()).or_default().insert(user);
    }

    /// Forgets `user` (it left the zone; its snapshot goes out another way).
    pub fn forget(&mut self, user: Uuid) {
        self.dirty.retain(|_, users| {
            users.remove(&user);
            !users.is_empty()
        });
    }

    /// When the next broadcast is due, if anything is waiting.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.dirty.is_empty() {
            return None;
        }
        Some(
            self.last_flush
                .map_or_else(Instant::now, |t| t + BROADCAST_PERIOD),
        )
    }

    /// Takes what is due at `now`: (zone, users) in a stable order.
    pub fn take_due(&mut self, now: Instant) -> Vec<(ZoneId, Vec<Uuid>)> {
        if self.dirty.is_empty() || self.last_flush.is_some_and(|t| now < t + BROADCAST_PERIOD) {
            return Vec::new();
        }
        self.last_flush = Some(now);
        std::mem::take(&mut self.dirty)
            .into_iter()
            .map(|(zone, users)| (zone, users.into_iter().collect()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_are_coalesced_to_ten_hertz() {
        let t0 = Instant::now();
        let zone = ZoneId::new("team");
        let (a, b) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let mut flush = PresenceFlush::default();
        assert_eq!(flush.poll_timeout(), None);
        flush.mark(&zone, a);
        assert_eq!(
            flush.take_due(t0),
            vec![(zone.clone(), vec![a])],
            "the first change goes out at once"
        );
        for _ in 0..5 {
            flush.mark(&zone, a);
            flush.mark(&zone, b);
        }
        assert!(
            flush.take_due(t0 + Duration::from_millis(50)).is_empty(),
            "within 100 ms nothing goes out"
        );
        assert_eq!(flush.poll_timeout(), Some(t0 + BROADCAST_PERIOD));
        let due = flush.take_due(t0 + BROADCAST_PERIOD);
        assert_eq!(
            due,
            vec![(zone, vec![a, b])],
            "one update per user, however many came in"
        );
        assert_eq!(flush.poll_timeout(), None);
    }

    #[test]
    fn forgotten_users_are_not_broadcast() {
        let zone = ZoneId::new("z");
        let mut flush = PresenceFlush::default();
        flush.mark(&zone, Uuid::from_u128(1));
        flush.forget(Uuid::from_u128(1));
        assert_eq!(flush.poll_timeout(), None);
    }
}
