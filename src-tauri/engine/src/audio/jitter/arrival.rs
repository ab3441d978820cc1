//! Arrival jitter of one RTP stream: how much later than its fastest recent packet each packet
//! arrives.

use std::collections::VecDeque;
use std::time::Instant;

use super::super::SAMPLE_RATE;

/// Arrival observations the estimate is taken over (about 5 s of 20 ms packets).
const TRANSIT_WINDOW: usize = 250;
/// Percentile of arrival deviation reported as the jitter. A packet later than the target is
/// stretched over with concealment, and Opus's concealment of a late frame, with the fade back
/// into the next, dips the voice for 20-30 ms: at the 95th percentile that happened every
/// second or two on a loaded machine (the nine-user handover test read gaps of 60-150 ms with
/// one core busy); at the 99th the delay follows the load instead (40-80 ms there, unchanged on
/// a quiet machine).
const JITTER_PERCENTILE: usize = 99;

/// A windowed percentile of arrival deviation, in samples.
///
/// Transit is arrival time minus RTP timestamp (both in samples); its absolute value is
/// meaningless (the clocks have different origins) but its spread is the jitter. The deviation
/// of a packet is its transit above the smallest transit in the window, so a constant network
/// delay counts as zero and slow clock drift washes out of the window.
#[derive(Debug)]
pub(super) struct ArrivalJitter {
    /// Time of the first observation; arrivals are measured from it.
    epoch: Option<Instant>,
    /// Recent transit times, oldest first.
    transits: VecDeque<i64>,
    /// The same transit times, sorted: each packet moves one entry in and one out (a binary
    /// search and a short memmove) instead of sorting the window per packet, which took most
    /// of a receive task's time in unoptimized builds with nine voices on two paths each.
    sorted: Vec<i64>,
    /// The current estimate.
    jitter: i64,
}

impl ArrivalJitter {
    pub(super) fn new() -> Self {
        Self {
            epoch: None,
            transits: VecDeque::with_capacity(TRANSIT_WINDOW),
            sorted: Vec::with_capacity(TRANSIT_WINDOW),
            jitter: 0,
        }
    }

    /// Records that the packet with unwrapped RTP `timestamp` arrived at `now`.
    pub(super) fn record(&mut self, now: Instant, timestamp: i64) {
        let epoch = *self.epoch.get_or_insert(now);
        let micros = now.saturating_duration_since(epoch).as_micros();
        let arrival =
            i64::try_from(micros * u128::from(SAMPLE_RATE) / 1_000_000).unwrap_or(i64::MAX);
        if self.transits.len() == TRANSIT_WINDOW
            && let Some(oldest) = self.transits.pop_front()
            && let Ok(i) = self.sorted.binary_search(&oldest)
        {
            self.sorted.remove(i);
        }
        let transit = arrival.saturating_sub(timestamp);
        self.transits.push_back(transit);
        let at = self.sorted.partition_point(|&t| t < transit);
        self.sorted.insert(at, transit);
        self.jitter = match self.sorted.first() {
            Some(&fastest) => {
                let index = ((self.sorted.len() - 1) * JITTER_PERCENTILE + 50) / 100;
                self.sorted.get(index).map_or(0, |&t| t - fastest)
            }
            None => 0,
        };
    }

    /// The 99th percentile of arrival deviation over the window, in samples (0 until known).
    pub(super) fn samples(&self) -> i64 {
        self.jitter
    }

    /// Forgets every observation (the sender restarted its clock).
    pub(super) fn reset(&mut self) {
        *self = Self::new();
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn constant_delay_is_no_jitter() {
        let t0 = Instant::now();
        let mut jitter = ArrivalJitter::new();
        for n in 0..100 {
            // 20 ms packets arriving 20 ms apart, 73 ms after some unknown origin.
            jitter.record(t0 + Duration::from_millis(73 + n * 20), n as i64 * 960);
        }
        assert_eq!(jitter.samples(), 0, "a steady stream has no jitter");
    }

    #[test]
    fn the_window_slides_as_a_full_sort_would() {
        let t0 = Instant::now();
        let mut jitter = ArrivalJitter::new();
        let mut all = Vec::new();
        for n in 0..1_000u64 {
            // Irregular lateness with repeats, so equal transits leave the window too.
            let late = (n * 7919 % 13) * 5;
            let at = t0 + Duration::from_millis(n * 20 + late);
            jitter.record(at, n as i64 * 960);
            all.push((late * 48) as i64);
            let mut window: Vec<i64> = all.iter().rev().take(TRANSIT_WINDOW).copied().collect();
            window.sort_unstable();
            let index = ((window.len() - 1) * JITTER_PERCENTILE + 50) / 100;
            assert_eq!(
                jitter.samples(),
                window[index] - window[0],
                "after {n} packets"
            );
            assert_eq!(jitter.sorted.len(), window.len());
        }
    }

    #[test]
    fn measures_the_spread_of_arrivals() {
        let t0 = Instant::now();
        let mut jitter = ArrivalJitter::new();
        for n in 0..200u64 {
            // Every other packet 30 ms late.
            let late = if n % 2 == 0 { 0 } else { 30 };
            jitter.record(t0 + Duration::from_millis(n * 20 + late), n as i64 * 960);
        }
        assert_eq!(jitter.samples(), 30 * 48, "30 ms of jitter");
        jitter.reset();
        assert_eq!(jitter.samples(), 0, "reset forgets");
    }
}
