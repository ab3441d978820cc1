//! Counters the SFU keeps for `/metrics`.

use std::collections::BTreeMap;

/// A snapshot of the SFU's counters and gauges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SfuStats {
    /// Joined peers right now.
    pub peers: usize,
    /// Channels with at least one peer right now.
    pub channels: usize,
    /// Media frames written to receivers since start.
    pub packets_forwarded: u64,
    /// Payload bytes of those frames.
    pub bytes_forwarded: u64,
    /// Refused joins since start, by join error code.
    pub join_failures: BTreeMap<&'static str, u64>,
    /// Tracks a peer declared but may not send (no permission for the kind, or too many).
    pub tracks_refused: u64,
    /// Datagrams from addresses no peer owns that were not ICE checks: dropped unread.
    pub stranger_datagrams: u64,
}

impl SfuStats {
    /// Adds another SFU's figures (the workers of one host).
    pub fn add(&mut self, other: &SfuStats) {
        self.peers += other.peers;
        self.channels += other.channels;
        self.packets_forwarded += other.packets_forwarded;
        self.bytes_forwarded += other.bytes_forwarded;
        self.tracks_refused += other.tracks_refused;
        self.stranger_datagrams += other.stranger_datagrams;
        for (code, n) in &other.join_failures {
            *self.join_failures.entry(code).or_default() += n;
        }
    }

    pub(super) fn count_join_failure(&mut self, code: &'static str) {
        *self.join_failures.entry(code).or_default() += 1;
    }
}
