//! Probe payloads for load tests, and what a receiver learns from them.
//!
//! A probe takes the place of one Opus packet: [`PROBE_BYTES`] bytes (a typical voice packet)
//! starting with [`PROBE_MAGIC`], the sender's packet counter and the send time. The SFU forwards
//! payloads opaquely, so probes travel exactly like voice while costing nothing to make or read.
//! Send and receive times come from one process-wide clock ([`now_ns`]), so one-way latency is
//! exact when both ends run in the same process (as in `hearth-bot load`).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Instant;

/// First bytes of every probe payload.
pub const PROBE_MAGIC: [u8; 4] = *b"HPRB";

/// Length of a probe payload: about the size of a 20 ms Opus voice packet.
pub const PROBE_BYTES: usize = 80;

/// Magic, counter and send time; the rest is padding.
const HEADER_BYTES: usize = 20;

/// Latency samples one window keeps per receiver; later ones are counted but not kept.
pub const MAX_LATENCY_SAMPLES: usize = 1 << 20;

static EPOCH: OnceLock<Instant> = OnceLock::new();

/// Nanoseconds since the process-wide probe epoch (set on first use).
pub fn now_ns() -> u64 {
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_nanos()).unwrap_or(u64::MAX)
}

/// One probe: which packet of its sender it is, and when it was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    /// Per-sender packet number, from 0, one per packet sent.
    pub counter: u64,
    /// Send time in [`now_ns`] nanoseconds.
    pub sent_ns: u64,
}

impl Probe {
    /// Writes the probe into the start of `out`; returns [`PROBE_BYTES`], or `None` when `out`
    /// is shorter than that.
    pub fn encode(&self, out: &mut [u8]) -> Option<usize> {
        let out = out.get_mut(..PROBE_BYTES)?;
        out[..4].copy_from_slice(&PROBE_MAGIC);
        out[4..12].copy_from_slice(&self.counter.to_be_bytes());
        out[12..HEADER_BYTES].copy_from_slice(&self.sent_ns.to_be_bytes());
        out[HEADER_BYTES..].fill(0);
        Some(PROBE_BYTES)
    }

    /// Reads a probe from a payload; `None` for anything else (such as real Opus).
    pub fn decode(payload: &[u8]) -> Option<Self> {
        let header = payload.get(..HEADER_BYTES)?;
        if header[..4] != PROBE_MAGIC {
            return None;
        }
        let counter = u64::from_be_bytes(header[4..12].try_into().ok()?);
        let sent_ns = u64::from_be_bytes(header[12..HEADER_BYTES].try_into().ok()?);
        Some(Self { counter, sent_ns })
    }
}

/// What one receiver saw of one sender's probes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SenderCounts {
    /// Probes received (a duplicate counts twice).
    pub received: u64,
    /// Lowest counter seen.
    pub first: u64,
    /// Highest counter seen.
    pub highest: u64,
}

impl SenderCounts {
    /// Probes missing between the first and the highest counter seen. Reordered probes count
    /// once they arrive; probes after the highest one seen are not known to be missing yet.
    pub fn lost(&self) -> u64 {
        (self.highest - self.first + 1).saturating_sub(self.received)
    }
}

/// Figures of a closed measurement window at one receiver.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WindowReport {
    /// Probes the window covers: every counter in every sender's range (0 until closed).
    pub expected: u64,
    /// Of those, how many arrived.
    pub received: u64,
    /// One-way latency of the received ones, in microseconds, in arrival order (at most
    /// [`MAX_LATENCY_SAMPLES`]).
    pub latencies_us: Vec<u32>,
}

/// A measurement window: per sender, the counters `from..end` it covers (`end` is `None` while
/// the window is open).
#[derive(Debug, Default)]
struct Window {
    bounds: HashMap<i64, (u64, Option<u64>)>,
    received: u64,
    latencies_us: Vec<u32>,
}

/// The arithmetic of one receiver's probes, fed with explicit times (no clock, no I/O).
///
/// A window is delimited by counters, not by time, so a probe in flight when the window opens or
/// closes is neither lost nor counted twice: it belongs to the window by its counter, whenever it
/// arrives.
#[derive(Debug, Default)]
pub struct ProbeStats {
    first_packet_ns: Option<u64>,
    senders: HashMap<i64, SenderCounts>,
    window: Option<Window>,
}

impl ProbeStats {
    /// Records `probe` from `sender`, received at `now_ns`.
    pub fn record(&mut self, sender: i64, probe: Probe, now_ns: u64) {
        self.first_packet_ns.get_or_insert(now_ns);
        self.senders
            .entry(sender)
            .and_modify(|c| {
                c.received += 1;
                c.first = c.first.min(probe.counter);
                c.highest = c.highest.max(probe.counter);
            })
            .or_insert(SenderCounts {
                received: 1,
                first: probe.counter,
                highest: probe.counter,
            });
        let Some(window) = &mut self.window else {
            return;
        };
        let Some(&(from, end)) = window.bounds.get(&sender) else {
            return;
        };
        if probe.counter >= from && end.is_none_or(|end| probe.counter < end) {
            window.received += 1;
            if window.latencies_us.len() < MAX_LATENCY_SAMPLES {
                let micros = now_ns.saturating_sub(probe.sent_ns) / 1_000;
                window
                    .latencies_us
                    .push(u32::try_from(micros).unwrap_or(u32::MAX));
            }
        }
    }

    /// When the first probe arrived, in [`now_ns`] nanoseconds.
    pub fn first_packet_ns(&self) -> Option<u64> {
        self.first_packet_ns
    }

    /// Per sender, what arrived so far.
    pub fn senders(&self) -> &HashMap<i64, SenderCounts> {
        &self.senders
    }

    /// Opens a window covering, per sender in `from`, the probes numbered `from[sender]` and up.
    /// Senders not in `from` are not measured. Replaces any open window.
    pub fn open_window(&mut self, from: &HashMap<i64, u64>) {
        self.window = Some(Window {
            bounds: from.iter().map(|(&s, &f)| (s, (f, None))).collect(),
            ..Window::default()
        });
    }

    /// Ends the window at counter `to[sender]` (inclusive) per sender; a sender missing from
    /// `to` is closed at its start, so it expects nothing more. Probes in range that arrive later
    /// still count, so wait for stragglers before [`ProbeStats::window_report`].
    pub fn close_window(&mut self, to: &HashMap<i64, u64>) {
        if let Some(window) = &mut self.window {
            for (sender, (from, end)) in &mut window.bounds {
                *end = Some(to.get(sender).map_or(*from, |&to| to.saturating_add(1)));
            }
        }
    }

    /// The window's figures so far (empty when none was opened). Takes the latency samples.
    pub fn window_report(&mut self) -> WindowReport {
        let Some(window) = &mut self.window else {
            return WindowReport::default();
        };
        let expected = window
            .bounds
            .values()
            .map(|&(from, end)| end.map_or(0, |end| end.saturating_sub(from)))
            .sum();
        WindowReport {
            expected,
            received: window.received,
            latencies_us: std::mem::take(&mut window.latencies_us),
        }
    }
}

/// [`ProbeStats`] shared by the receive tasks of one client (one task per remote track).
/// The lock is held only for one record or one read, never across an `.await`.
#[derive(Debug, Default)]
pub struct ProbeRecorder {
    stats: Mutex<ProbeStats>,
}

impl ProbeRecorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `payload` from `sender` received at `now_ns`; false when it is not a probe.
    pub fn record(&self, sender: i64, payload: &[u8], now_ns: u64) -> bool {
        let Some(probe) = Probe::decode(payload) else {
            return false;
        };
        self.with(|stats| stats.record(sender, probe, now_ns));
        true
    }

    /// Runs `f` on the stats under the lock (a poisoned lock is still read: the stats are
    /// counters, consistent after every `record`).
    pub fn with<T>(&self, f: impl FnOnce(&mut ProbeStats) -> T) -> T {
        let mut stats = self.stats.lock().unwrap_or_else(PoisonError::into_inner);
        f(&mut stats)
    }
}

/// The `q` quantile (0.0..=1.0) of `sorted` by nearest rank; `None` when empty.
pub fn quantile<T: Copy>(sorted: &[T], q: f64) -> Option<T> {
    let last = sorted.len().checked_sub(1)?;
    let rank = (q.clamp(0.0, 1.0) * sorted.len() as f64).ceil() as usize;
    sorted.get(rank.saturating_sub(1).min(last)).copied()
}

#[cfg(test)]
#[path = "probe_tests.rs"]
mod tests;
