//! The measurement window of a load run: counters read at both ends, a probe window opened and
//! closed on every receiver, and the figures made from them.

use std::collections::HashMap;
use std::time::Instant;

use hearth_engine::media::probe::{ProbeRecorder, quantile};

use crate::metrics::Scrape;
use crate::report::{LoadReport, ratio};
use crate::target;

/// Packets per second of one sender (one every 20 ms).
const PACKETS_PER_SECOND: f64 = 50.0;

/// Probes skipped between reading the counters and the first probe the window counts: the
/// windows of a hundred receivers open one after another, and a probe one of them already
/// received before its window opened would look lost. Five probes are 100 ms.
const WINDOW_MARGIN: u64 = 5;

/// What is read at one end of the window.
pub struct Counters {
    at: Instant,
    scrape: Scrape,
    sfu_ticks: Option<u64>,
    own_ticks: Option<u64>,
}

impl Counters {
    /// Reads the CPU times now; `scrape` is the `/metrics` read just before.
    pub fn take(sfu_pid: Option<u32>, scrape: Scrape) -> Self {
        let read = |pid| {
            target::cpu_ticks(pid)
                .inspect_err(|e| tracing::warn!(error = %e, "cannot read CPU time"))
                .ok()
        };
        Self {
            sfu_ticks: sfu_pid.and_then(|pid| read(Some(pid))),
            own_ticks: read(None),
            scrape,
            at: Instant::now(),
        }
    }
}

/// Probe figures summed over every receiver.
#[derive(Debug, Default)]
pub struct ProbeTotals {
    expected: u64,
    received: u64,
    /// Sorted ascending.
    latencies_us: Vec<u32>,
}

/// Per speaker, the highest counter any receiver has seen.
fn highest(members: &[(i64, &ProbeRecorder)], speakers: &[i64]) -> HashMap<i64, u64> {
    let mut highest: HashMap<i64, u64> = HashMap::new();
    for (_, recorder) in members {
        recorder.with(|stats| {
            for (sender, counts) in stats.senders() {
                if speakers.contains(sender) {
                    let top = highest.entry(*sender).or_insert(counts.highest);
                    *top = (*top).max(counts.highest);
                }
            }
        });
    }
    highest
}

/// A member as the window sees it: its user id, its recorder and its room's speakers.
pub type WindowMember<'a> = (i64, &'a ProbeRecorder, &'a [i64]);

/// Opens a probe window on every member, covering each speaker of its room from a few probes
/// after the latest one seen (never the member's own).
pub fn open<'a>(members: impl Iterator<Item = WindowMember<'a>>, speakers: &[i64]) {
    let members: Vec<_> = members.collect();
    let recorders: Vec<_> = members.iter().map(|(u, r, _)| (*u, *r)).collect();
    let from = highest(&recorders, speakers);
    for (user, recorder, room_speakers) in &members {
        let mine: HashMap<i64, u64> = from
            .iter()
            .filter(|(sender, _)| *sender != user && room_speakers.contains(sender))
            .map(|(&sender, &top)| (sender, top + WINDOW_MARGIN))
            .collect();
        recorder.with(|stats| stats.open_window(&mine));
    }
}

/// Closes every window at each speaker's latest probe seen by anyone (so it was sent).
pub fn close<'a>(members: impl Iterator<Item = (i64, &'a ProbeRecorder)>, speakers: &[i64]) {
    let members: Vec<_> = members.collect();
    let to = highest(&members, speakers);
    for (_, recorder) in &members {
        recorder.with(|stats| stats.close_window(&to));
    }
}

/// Sums the closed windows of every recorder.
pub fn collect<'a>(recorders: impl Iterator<Item = &'a ProbeRecorder>) -> ProbeTotals {
    let mut totals = ProbeTotals::default();
    for recorder in recorders {
        let report = recorder.with(|stats| stats.window_report());
        totals.expected += report.expected;
        totals.received += report.received;
        totals.latencies_us.extend(report.latencies_us);
    }
    totals.latencies_us.sort_unstable();
    totals
}

/// Everything a run measured, before it becomes figures.
pub struct Measured {
    pub speakers: usize,
    pub listeners: usize,
    /// Copies of the room, each in its own channel.
    pub rooms: usize,
    /// The hostile member of `--flood`, if there was one.
    pub flood: Option<crate::flood::FloodOutcome>,
    pub start: Counters,
    pub end: Counters,
    /// `/proc` clock ticks per second.
    pub clock_ticks: f64,
    pub probes: ProbeTotals,
    /// Sessions that ended by themselves before the window closed.
    pub ended_early: usize,
    /// Join start to first probe of each listener that joined before the speakers, ns.
    pub initial_joins_ns: Vec<u64>,
    /// The late listener: join start to media connected and to its first probe (if one came),
    /// ns; or why it could not join.
    pub late_join: Result<(u64, Option<u64>), String>,
}

/// Turns a run's measurements into its figures.
pub fn report(m: Measured) -> LoadReport {
    let window_s = m.end.at.duration_since(m.start.at).as_secs_f64();
    let delta = |f: fn(&Scrape) -> Option<f64>| Some(f(&m.end.scrape)? - f(&m.start.scrape)?);
    let packets = delta(|s| s.packets_forwarded);
    let cpu_s = |start: Option<u64>, end: Option<u64>| {
        Some(end?.saturating_sub(start?) as f64 / m.clock_ticks)
    };
    let sfu_cpu_s = cpu_s(m.start.sfu_ticks, m.end.sfu_ticks);
    let own_cpu_s = cpu_s(m.start.own_ticks, m.end.own_ticks);
    let forward_latency = match (
        &m.start.scrape.forward_latency,
        &m.end.scrape.forward_latency,
    ) {
        (Some(before), Some(after)) => Some(after.since(before)),
        _ => None,
    };
    let ms = |us: Option<u32>| us.map(|us| f64::from(us) / 1000.0);
    let latencies = &m.probes.latencies_us;
    let mut initial = m.initial_joins_ns.clone();
    initial.sort_unstable();
    let ns_to_ms = |ns: u64| ns as f64 / 1e6;
    let everyone_else = (m.speakers + m.listeners).saturating_sub(1) as f64;
    LoadReport {
        speakers: m.speakers,
        listeners: m.listeners,
        rooms: m.rooms,
        flood: m.flood,
        window_s,
        expected_forwarded_pps: (m.rooms * m.speakers) as f64 * PACKETS_PER_SECOND * everyone_else,
        forwarded_pps: ratio(packets, Some(window_s)),
        forwarded_bytes_per_s: ratio(delta(|s| s.bytes_forwarded), Some(window_s)),
        sfu_cpu_s,
        sfu_cpu_pct_of_core: ratio(sfu_cpu_s, Some(window_s)).map(|r| r * 100.0),
        sfu_cpu_us_per_packet: ratio(sfu_cpu_s, packets).map(|r| r * 1e6),
        loadgen_cpu_pct_of_core: ratio(own_cpu_s, Some(window_s)).map(|r| r * 100.0),
        probes_expected: m.probes.expected,
        probes_received: m.probes.received,
        loss_pct: (m.probes.expected > 0).then(|| {
            let lost = m.probes.expected.saturating_sub(m.probes.received);
            lost as f64 / m.probes.expected as f64 * 100.0
        }),
        e2e_latency_p50_ms: ms(quantile(latencies, 0.5)),
        e2e_latency_p99_ms: ms(quantile(latencies, 0.99)),
        e2e_latency_max_ms: ms(latencies.last().copied()),
        sfu_forward_latency_p50_ms: forward_latency
            .as_ref()
            .and_then(|h| h.quantile(0.5))
            .map(|s| s * 1000.0),
        sfu_forward_latency_p99_ms: forward_latency
            .as_ref()
            .and_then(|h| h.quantile(0.99))
            .map(|s| s * 1000.0),
        initial_join_to_first_audio_p50_ms: quantile(&initial, 0.5).map(ns_to_ms),
        initial_join_to_first_audio_max_ms: initial.last().copied().map(ns_to_ms),
        late_join_to_media_connected_ms: m
            .late_join
            .as_ref()
            .ok()
            .map(|(media, _)| ns_to_ms(*media)),
        late_join_to_first_audio_ms: m
            .late_join
            .as_ref()
            .ok()
            .and_then(|(_, audio)| audio.map(ns_to_ms)),
        late_join_error: m.late_join.err(),
        sfu_peers: m.end.scrape.peers,
        sessions_ended_early: m.ended_early,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hearth_engine::media::probe::{PROBE_BYTES, Probe};

    fn send(recorder: &ProbeRecorder, sender: i64, counter: u64) {
        let mut payload = [0u8; PROBE_BYTES];
        let written = Probe {
            counter,
            sent_ns: 0,
        }
        .encode(&mut payload);
        assert_eq!(written, Some(PROBE_BYTES));
        assert!(recorder.record(sender, &payload, 2_000));
    }

    #[test]
    fn a_window_spans_every_receiver_but_the_sender_itself() {
        let (speaker, listener) = (ProbeRecorder::new(), ProbeRecorder::new());
        let members = || [(1, &speaker), (2, &listener)].into_iter();
        send(&listener, 1, 0);
        let room: &[i64] = &[1];
        open(members().map(|(u, r)| (u, r, room)), &[1]);
        for counter in 1..=20 {
            if counter != 7 {
                send(&listener, 1, counter);
            }
        }
        close(members(), &[1]);
        let totals = collect([&speaker, &listener].into_iter());
        assert_eq!(totals.expected, 20 - WINDOW_MARGIN + 1, "counters 5..=20");
        assert_eq!(totals.received, totals.expected - 1, "counter 7 was lost");
        assert_eq!(totals.latencies_us.first(), Some(&2), "2 µs each");
    }

    #[test]
    fn a_member_expects_only_its_own_rooms_speakers() {
        let (a, b) = (ProbeRecorder::new(), ProbeRecorder::new());
        // Speaker 1 talks in a's room, speaker 2 in b's; each hears only its own.
        send(&a, 1, 0);
        send(&b, 2, 0);
        let (room_a, room_b): (&[i64], &[i64]) = (&[1], &[2]);
        open([(10, &a, room_a), (20, &b, room_b)].into_iter(), &[1, 2]);
        for counter in 1..=20 {
            send(&a, 1, counter);
            send(&b, 2, counter);
        }
        close([(10, &a), (20, &b)].into_iter(), &[1, 2]);
        let totals = collect([&a, &b].into_iter());
        assert_eq!(totals.expected, 2 * (20 - WINDOW_MARGIN + 1));
        assert_eq!(totals.received, totals.expected, "nothing is lost");
    }
}
