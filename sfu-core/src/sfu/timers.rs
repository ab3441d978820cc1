//! When each peer next needs time: one deadline per connection in a min-heap, so the SFU's next
//! timeout and the peers due at a tick cost O(log n), not a walk over every peer.
//!
//! A peer's deadline is the earliest of its `Rtc` timers, its coalesced offer and its
//! level-derived speaking hangover. Scheduling a later deadline than the one queued changes
//! nothing (the earlier entry fires, the peer is looked at, and it is scheduled again); an
//! earlier one replaces it. Entries of removed or rescheduled peers are skipped when they surface.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::time::Instant;

use super::ConnId;

#[derive(Debug, Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<(Instant, ConnId)>>,
    /// The live entry of each connection.
    scheduled: HashMap<ConnId, Instant>,
}

impl Timers {
    /// Makes sure `conn` is looked at no later than `at`.
    pub fn schedule(&mut self, conn: ConnId, at: Instant) {
        if self
            .scheduled
            .get(&conn)
            .is_some_and(|&queued| queued <= at)
        {
            return;
        }
        self.scheduled.insert(conn, at);
        self.heap.push(Reverse((at, conn)));
    }

    /// Forgets `conn` (it left).
    pub fn remove(&mut self, conn: ConnId) {
        self.scheduled.remove(&conn);
    }

    /// The earliest deadline. May be a stale entry's, which only costs an early look.
    pub fn next(&self) -> Option<Instant> {
        self.heap.peek().map(|Reverse((at, _))| *at)
    }

    /// Takes every connection whose deadline has come; each must be scheduled again.
    pub fn due(&mut self, now: Instant) -> Vec<ConnId> {
        let mut due = Vec::new();
        while let Some(&Reverse((at, conn))) = self.heap.peek() {
            if at > now {
                break;
            }
            self.heap.pop();
            if self.scheduled.get(&conn) == Some(&at) {
                self.scheduled.remove(&conn);
                due.push(conn);
            }
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn the_earliest_deadline_wins_and_due_peers_come_out_once() {
        let t0 = Instant::now();
        let ms = |n| t0 + Duration::from_millis(n);
        let mut timers = Timers::default();
        timers.schedule(ConnId(1), ms(30));
        timers.schedule(ConnId(2), ms(10));
        timers.schedule(ConnId(1), ms(50)); // later: the 30 ms entry stands
        assert_eq!(timers.next(), Some(ms(10)));
        assert_eq!(
            timers.due(ms(9)),
            Vec::<ConnId>::new(),
            "nothing is due early"
        );
        assert_eq!(timers.due(ms(10)), vec![ConnId(2)]);
        timers.schedule(ConnId(1), ms(20)); // earlier: replaces the 30 ms entry
        assert_eq!(timers.due(ms(25)), vec![ConnId(1)]);
        assert_eq!(
            timers.due(ms(100)),
            Vec::<ConnId>::new(),
            "the replaced 30 ms entry is stale and never fires"
        );
        assert_eq!(timers.next(), None);
    }

    #[test]
    fn a_removed_peer_never_comes_due() {
        let t0 = Instant::now();
        let mut timers = Timers::default();
        timers.schedule(ConnId(7), t0);
        timers.remove(ConnId(7));
        assert_eq!(
            timers.due(t0 + Duration::from_secs(1)),
            Vec::<ConnId>::new()
        );
        timers.schedule(ConnId(7), t0);
        assert_eq!(
            timers.due(t0),
            vec![ConnId(7)],
            "a peer that comes back is scheduled anew"
        );
    }
}
