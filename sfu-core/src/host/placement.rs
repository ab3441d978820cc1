//! Which SFU worker owns which channel (`hearth-host --workers N`).
//!
//! Each worker is an actor with its own [`crate::sfu::Sfu`] and UDP socket; a channel lives on
//! one worker for good, so forwarding never crosses threads and a busy channel can only slow its
//! own worker. A new channel goes to the worker holding the fewest channels (the lowest index on a
//! tie), which spreads rooms evenly and is deterministic.
//!
//! A channel is never moved or released: a join still in flight to its worker would otherwise
//! land beside a second copy of the channel elsewhere. The table grows with the channels ever
//! joined, which only signed tokens can name.

use std::collections::HashMap;

use crate::ids::ChannelId;

/// Channel-to-worker assignment. Sans-IO: the host's router keeps one behind a lock.
#[derive(Debug)]
pub struct Placement {
    assigned: HashMap<ChannelId, usize>,
    /// Channels on each worker.
    load: Vec<usize>,
}

impl Placement {
    /// A placement over `workers` workers (at least one).
    pub fn new(workers: usize) -> Self {
        Self {
            assigned: HashMap::new(),
            load: vec![0; workers.max(1)],
        }
    }

    /// The worker of `channel`, assigning the least-loaded one the first time.
    pub fn place(&mut self, channel: ChannelId) -> usize {
        if let Some(&worker) = self.assigned.get(&channel) {
            return worker;
        }
        let worker = self
            .load
            .iter()
            .enumerate()
            .min_by_key(|(i, load)| (**load, *i))
            .map_or(0, |(i, _)| i);
        self.load[worker] += 1;
        self.assigned.insert(channel, worker);
        worker
    }

    /// Channels per worker, for `/metrics`.
    pub fn load(&self) -> &[usize] {
        &self.load
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_spread_over_the_workers_and_stay_where_they_are() {
        let mut placement = Placement::new(3);
        let workers: Vec<usize> = (1..=7).map(|c| placement.place(ChannelId(c))).collect();
        assert_eq!(
            workers,
            vec![0, 1, 2, 0, 1, 2, 0],
            "least-loaded first, lowest on a tie"
        );
        assert_eq!(placement.load(), &[3, 2, 2]);
        for c in 1..=7 {
            assert_eq!(
                placement.place(ChannelId(c)),
                workers[c as usize - 1],
                "a channel never moves: a join in flight must meet its channel"
            );
        }
    }

    #[test]
    fn one_worker_takes_everything() {
        let mut placement = Placement::new(0);
        assert_eq!(placement.load(), &[0], "zero workers means one");
        assert_eq!(placement.place(ChannelId(5)), 0);
        assert_eq!(placement.place(ChannelId(6)), 0);
    }
}
