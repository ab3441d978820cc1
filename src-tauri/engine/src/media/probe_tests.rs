use super::*;

fn probe(counter: u64, sent_ns: u64) -> Probe {
    Probe { counter, sent_ns }
}

fn bounds(pairs: &[(i64, u64)]) -> HashMap<i64, u64> {
    pairs.iter().copied().collect()
}

#[test]
fn probes_round_trip_at_voice_packet_size() {
    let mut out = [0xAAu8; 200];
    let sent = probe(0x0102_0304_0506_0708, 1_234_567_890_123);
    assert_eq!(sent.encode(&mut out), Some(PROBE_BYTES));
    assert_eq!(&out[..4], &PROBE_MAGIC, "a probe starts with the magic");
    assert!(
        out[HEADER_BYTES..PROBE_BYTES].iter().all(|&b| b == 0),
        "padding is zeroed"
    );
    assert_eq!(Probe::decode(&out[..PROBE_BYTES]), Some(sent));
}

#[test]
fn probe_encoding_refuses_a_short_buffer() {
    assert_eq!(probe(1, 2).encode(&mut [0u8; PROBE_BYTES - 1]), None);
}

#[test]
fn anything_but_a_probe_is_not_decoded() {
    assert_eq!(Probe::decode(&[]), None, "empty payload");
    assert_eq!(Probe::decode(b"HPRB short"), None, "truncated header");
    let mut opus_like = [0u8; PROBE_BYTES];
    opus_like[0] = 0x78; // a typical Opus TOC byte
    assert_eq!(Probe::decode(&opus_like), None, "Opus payload");
}

#[test]
fn the_epoch_clock_moves_forward() {
    let a = now_ns();
    let b = now_ns();
    assert!(b >= a, "now_ns went backwards: {a} then {b}");
}

#[test]
fn loss_is_the_gap_between_first_and_highest_counter() {
    let mut stats = ProbeStats::default();
    for counter in [5, 6, 8, 9, 12] {
        stats.record(7, probe(counter, 0), 100);
    }
    let counts = stats.senders()[&7];
    assert_eq!(counts.first, 5);
    assert_eq!(counts.highest, 12);
    assert_eq!(counts.received, 5);
    assert_eq!(counts.lost(), 3, "counters 7, 10 and 11 are missing");
    assert_eq!(stats.first_packet_ns(), Some(100));
}

#[test]
fn a_reordered_probe_is_not_lost() {
    let mut stats = ProbeStats::default();
    for counter in [3, 5, 4, 2] {
        stats.record(1, probe(counter, 0), 0);
    }
    let counts = stats.senders()[&1];
    assert_eq!((counts.first, counts.highest), (2, 5));
    assert_eq!(counts.lost(), 0, "late probes fill their gaps");
}

#[test]
fn senders_are_counted_apart() {
    let mut stats = ProbeStats::default();
    stats.record(1, probe(0, 0), 10);
    stats.record(2, probe(0, 0), 20);
    stats.record(1, probe(2, 0), 30);
    assert_eq!(stats.senders()[&1].lost(), 1);
    assert_eq!(stats.senders()[&2].lost(), 0);
    assert_eq!(
        stats.first_packet_ns(),
        Some(10),
        "first packet of any sender"
    );
}

#[test]
fn latency_is_receive_time_minus_send_time_in_microseconds() {
    let mut stats = ProbeStats::default();
    stats.open_window(&bounds(&[(1, 0)]));
    stats.record(1, probe(0, 1_000_000), 1_250_999);
    stats.record(1, probe(1, 2_000_000), 2_000_000);
    stats.record(1, probe(2, 5_000), 1_000); // clocks never go back, but never underflow
    stats.close_window(&bounds(&[(1, 2)]));
    let report = stats.window_report();
    assert_eq!(report.latencies_us, vec![250, 0, 0]);
    assert_eq!(
        stats.window_report().latencies_us,
        Vec::<u32>::new(),
        "samples are taken once"
    );
}

#[test]
fn a_window_counts_by_counter_so_stragglers_belong_to_it() {
    let mut stats = ProbeStats::default();
    stats.record(1, probe(9, 0), 0); // before the window
    stats.open_window(&bounds(&[(1, 10), (2, 0)]));
    for counter in [10, 11, 13, 14] {
        stats.record(1, probe(counter, 0), 0);
    }
    stats.record(2, probe(0, 0), 0);
    stats.record(3, probe(0, 0), 0); // not measured: unknown when the window opened
    stats.close_window(&bounds(&[(1, 14), (2, 1)]));
    stats.record(1, probe(15, 0), 0); // after the window
    stats.record(2, probe(1, 0), 0); // in flight at close: still counts
    let report = stats.window_report();
    assert_eq!(
        report.expected,
        5 + 2,
        "counters 10..=14 of sender 1 and 0..=1 of sender 2"
    );
    assert_eq!(report.received, 4 + 2, "counter 12 was lost");
    assert_eq!(report.latencies_us.len(), 6);
}

#[test]
fn an_open_window_expects_nothing_yet() {
    let mut stats = ProbeStats::default();
    assert_eq!(stats.window_report(), WindowReport::default(), "no window");
    stats.open_window(&bounds(&[(1, 0)]));
    stats.record(1, probe(0, 0), 0);
    let report = stats.window_report();
    assert_eq!((report.expected, report.received), (0, 1));
}

#[test]
fn a_sender_left_out_at_close_expects_nothing() {
    let mut stats = ProbeStats::default();
    stats.open_window(&bounds(&[(1, 0), (2, 0)]));
    stats.close_window(&bounds(&[(1, 0)]));
    stats.record(2, probe(0, 0), 0);
    let report = stats.window_report();
    assert_eq!(report.expected, 1, "only sender 1's counter 0");
    assert_eq!(report.received, 0, "sender 2 was closed at its start");
}

#[test]
fn the_recorder_ignores_payloads_that_are_not_probes() {
    let recorder = ProbeRecorder::new();
    let mut payload = [0u8; PROBE_BYTES];
    assert!(!recorder.record(1, &payload, 0), "zeros are not a probe");
    let written = probe(0, 0).encode(&mut payload);
    assert_eq!(written, Some(PROBE_BYTES));
    assert!(recorder.record(1, &payload, 0));
    assert_eq!(recorder.with(|s| s.senders()[&1].received), 1);
}

#[test]
fn quantiles_by_nearest_rank() {
    let sorted: Vec<u32> = (1..=100).collect();
    assert_eq!(quantile(&sorted, 0.5), Some(50));
    assert_eq!(quantile(&sorted, 0.99), Some(99));
    assert_eq!(quantile(&sorted, 1.0), Some(100));
    assert_eq!(quantile(&sorted, 0.0), Some(1));
    assert_eq!(quantile(&[7], 0.99), Some(7));
    assert_eq!(quantile::<u64>(&[], 0.5), None);
    assert_eq!(quantile(&[10u64, 20, 30], 0.5), Some(20));
}
