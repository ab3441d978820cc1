use super::*;

const FRAME: u32 = 960;

/// A stream's packet `n`: sequence `seq0 + n`, timestamp `ts0 + n * step`, payload naming `n`.
struct Stream {
    seq0: u16,
    ts0: u32,
    step: u32,
}

impl Stream {
    fn new() -> Self {
        Self::starting_at(1_000, 50_000, FRAME)
    }

    fn starting_at(seq0: u16, ts0: u32, step: u32) -> Self {
        Self { seq0, ts0, step }
    }

    fn seq(&self, n: u32) -> u16 {
        self.seq0.wrapping_add(n as u16)
    }

    fn ts(&self, n: u32) -> u32 {
        self.ts0.wrapping_add(n.wrapping_mul(self.step))
    }

    fn push(&self, jb: &mut JitterBuffer, now: Instant, n: u32) {
        jb.push(now, self.seq(n), self.ts(n), &payload(n));
    }
}

fn payload(n: u32) -> Vec<u8> {
    n.to_be_bytes().to_vec()
}

fn packet(n: u32, samples: usize) -> Playout {
    Playout::Packet {
        payload: payload(n),
        samples,
    }
}

fn config_ms(min: u64, max: u64) -> JitterConfig {
    JitterConfig {
        min_delay: Duration::from_millis(min),
        max_delay: Duration::from_millis(max),
    }
}

/// A fixed target delay, so tests of the playout rules are not moved by adaptation (they push
/// whole bursts at one instant, which is jitter).
fn fixed(millis: u64) -> JitterConfig {
    config_ms(millis, millis)
}

fn ms(t0: Instant, millis: u64) -> Instant {
    t0 + Duration::from_millis(millis)
}

const SILENCE: Playout = Playout::Silence { samples: 960 };
const CONCEAL: Playout = Playout::Conceal { samples: 960 };

#[test]
fn default_config_is_20_to_200_ms() {
    let config = JitterConfig::default();
    assert_eq!(config.min_delay, Duration::from_millis(20));
    assert_eq!(config.max_delay, Duration::from_millis(200));
    let jb = JitterBuffer::new(config);
    assert_eq!(
        jb.stats().target_delay_ms,
        20,
        "a fresh buffer targets the minimum"
    );
    assert!(!jb.is_playing(), "nothing to play before the first packet");
}

#[test]
fn plays_an_in_order_stream() {
    let t0 = Instant::now();
    let s = Stream::new();
    let mut jb = JitterBuffer::new(JitterConfig::default());
    assert_eq!(jb.pop(t0), SILENCE, "silence before the first packet");
    for n in 0..50 {
        let now = ms(t0, u64::from(n) * 20);
        s.push(&mut jb, now, n);
        assert_eq!(jb.pop(now), packet(n, 960), "frame {n} plays in order");
        assert!(jb.is_playing());
    }
    let stats = jb.stats();
    assert_eq!(stats.received, 50);
    assert_eq!(
        (stats.lost, stats.late, stats.duplicates, stats.dropped),
        (0, 0, 0, 0),
        "a clean stream loses nothing: {stats:?}"
    );
    assert_eq!(
        stats.target_delay_ms, 20,
        "a clean stream stays at the minimum"
    );
}

#[test]
fn waits_for_the_target_delay_before_starting() {
    let t0 = Instant::now();
    let s = Stream::new();
    let mut jb = JitterBuffer::new(fixed(60));
    s.push(&mut jb, t0, 0);
    assert_eq!(jb.pop(t0), SILENCE, "20 ms buffered, target 60 ms");
    assert_eq!(jb.buffered(), Duration::from_millis(20));
    s.push(&mut jb, ms(t0, 20), 1);
    assert_eq!(jb.pop(ms(t0, 20)), SILENCE, "40 ms buffered, target 60 ms");
    assert!(!jb.is_playing());
    s.push(&mut jb, ms(t0, 40), 2);
    assert_eq!(jb.stats().buffered_ms, 60);
    assert_eq!(
        jb.pop(ms(t0, 40)),
        packet(0, 960),
        "starts at the target delay"
    );
    assert!(jb.is_playing());
    assert_eq!(
        jb.buffered(),
        Duration::from_millis(40),
        "two frames left ahead"
    );
}

#[test]
fn reorders_within_the_window() {
    let t0 = Instant::now();
    let s = Stream::new();
    let mut jb = JitterBuffer::new(fixed(60));
    for n in [0, 2, 1, 4, 3] {
        s.push(&mut jb, t0, n);
    }
    for n in 0..5 {
        assert_eq!(jb.pop(t0), packet(n, 960), "frame {n} in sequence order");
    }
    assert_eq!(jb.stats().lost, 0, "reordered packets are not lost");
}

#[test]
fn drops_duplicates() {
    let t0 = Instant::now();
    let s = Stream::new();
    let mut jb = JitterBuffer::new(fixed(20));
    s.push(&mut jb, t0, 0);
    s.push(&mut jb, t0, 0);
    s.push(&mut jb, t0, 1);
    assert_eq!(jb.pop(t0), packet(0, 960));
    assert_eq!(
        jb.pop(t0),
        packet(1, 960),
        "the duplicate is not played twice"
    );
    run_dry(&mut jb, t0);
    let stats = jb.stats();
    assert_eq!((stats.received, stats.duplicates), (3, 1), "{stats:?}");
}

#[test]
fn drops_late_packets() {
    let t0 = Instant::now();
    let s = Stream::new();
    let mut jb = JitterBuffer::new(fixed(20));
    s.push(&mut jb, t0, 0);
    s.push(&mut jb, t0, 2);
    assert_eq!(jb.pop(t0), packet(0, 960));
    assert_eq!(
        jb.pop(t0),
        Playout::Fec {
            next: payload(2),
            samples: 960
        },
        "1 is missing and 2 is here"
    );
    s.push(&mut jb, ms(t0, 30), 1);
    assert_eq!(jb.stats().late, 1, "1 came after its frame was played");
    assert_eq!(
        jb.pop(ms(t0, 40)),
        packet(2, 960),
        "the late packet is not played"
    );
}

#[test]
fn single_loss_is_recovered_with_fec() {
    let t0 = Instant::now();
    let s = Stream::new();
    let mut jb = JitterBuffer::new(fixed(20));
    for n in [0, 1, 3, 4] {
        s.push(&mut jb, t0, n);
    }
    let got: Vec<Playout> = (0..4).map(|_| jb.pop(t0)).collect();
    let want = vec![
        packet(0, 960),
        packet(1, 960),
        Playout::Fec {
            next: payload(3),
            samples: 960,
        },
        packet(3, 960),
    ];
    assert_eq!(got, want);
    let stats = jb.stats();
    assert_eq!(
        (stats.lost, stats.recovered_fec, stats.concealed),
        (1, 1, 0),
        "{stats:?}"
    );
}

#[test]
fn double_loss_conceals_then_uses_fec() {
    let t0 = Instant::now();
    let s = Stream::new();
    let mut jb = JitterBuffer::new(fixed(20));
    for n in [0, 3, 4] {
        s.push(&mut jb, t0, n);
    }
    let got: Vec<Playout> = (0..4).map(|_| jb.pop(t0)).collect();
    let want = vec![
        packet(0, 960),
        CONCEAL,
        Playout::Fec {
            next: payload(3),
            samples: 960,
        },
        packet(3, 960),
    ];
    assert_eq!(got, want);
    let stats = jb.stats();
    assert_eq!(
        (stats.lost, stats.recovered_fec, stats.concealed),
        (2, 1, 1),
        "{stats:?}"
    );
}

#[test]
fn long_loss_becomes_silence_and_rebuffers() {
    let t0 = Instant::now();
    let s = Stream::new();
    let mut jb = JitterBuffer::new(fixed(60));
    // 3..=8 lost: six frames, one more than is concealed.
    for n in [0, 1, 2, 9, 10] {
        s.push(&mut jb, t0, n);
    }
    for n in 0..3 {
        assert_eq!(jb.pop(t0), packet(n, 960));
    }
    for n in 3..8 {
        assert_eq!(jb.pop(t0), CONCEAL, "frame {n} is concealed");
    }
    assert_eq!(jb.pop(t0), SILENCE, "the sixth lost frame is silence");
    assert!(!jb.is_playing(), "a long loss re-buffers");
    assert_eq!(jb.stats().lost, 6, "3..=8 are lost");
    assert_eq!(jb.pop(t0), SILENCE, "40 ms buffered, target 60 ms");
    s.push(&mut jb, t0, 11);
    assert_eq!(
        jb.pop(t0),
        packet(9, 960),
        "plays again from the first packet after the hole"
    );
    assert!(jb.is_playing());
    assert_eq!(jb.stats().concealed, 5);
}

/// With nothing buffered, a playing stream conceals three frames, then falls silent.
fn run_dry(jb: &mut JitterBuffer, now: Instant) {
    for _ in 0..3 {
        assert_eq!(jb.pop(now), Playout::Conceal { samples: 960 }, "stretched");
        assert!(jb.is_playing());
    }
    assert_eq!(jb.pop(now), SILENCE, "then the stream ran dry");
}

#[test]
fn running_dry_rebuffers_and_keeps_the_position() {
    let t0 = Instant::now();
    let s = Stream::new();
    let mut jb = JitterBuffer::new(fixed(60));
    for n in 0..3 {
        s.push(&mut jb, t0, n);
    }
    for n in 0..3 {
        assert_eq!(jb.pop(t0), packet(n, 960));
    }
    run_dry(&mut jb, t0);
    assert!(!jb.is_playing(), "ran dry");
    s.push(&mut jb, t0, 4);
    assert_eq!(jb.pop(t0), SILENCE, "re-buffering: 3 may still come");
    s.push(&mut jb, t0, 3);
    assert_eq!(jb.pop(t0), SILENCE, "40 ms buffered, target 60 ms");
    s.push(&mut jb, t0, 5);
    assert_eq!(jb.pop(t0), packet(3, 960), "the delayed packet still plays");
    assert_eq!(jb.pop(t0), packet(4, 960));
    assert_eq!(jb.stats().lost, 0, "running dry is not a loss");
}

#[test]
fn dtx_gap_is_silence_without_loss() {
    let t0 = Instant::now();
    let mut jb = JitterBuffer::new(fixed(20));
    // Consecutive sequence numbers; the timestamp jumps 200 ms (ten frames) after packet 1.
    let frames = [(0u16, 0u32), (1, 960), (2, 960 * 11), (3, 960 * 12)];
    for (seq, ts) in frames {
        jb.push(t0, seq, ts, &[seq as u8]);
    }
    assert_eq!(
        jb.pop(t0),
        Playout::Packet {
            payload: vec![0],
            samples: 960
        }
    );
    assert_eq!(
        jb.pop(t0),
        Playout::Packet {
            payload: vec![1],
            samples: 960
        }
    );
    for i in 0..9 {
        assert_eq!(jb.pop(t0), SILENCE, "DTX pause frame {i}");
    }
    assert_eq!(
        jb.pop(t0),
        Playout::Packet {
            payload: vec![2],
            samples: 960
        }
    );
    assert_eq!(
        jb.pop(t0),
        Playout::Packet {
            payload: vec![3],
            samples: 960
        }
    );
    let stats = jb.stats();
    assert_eq!(
        (stats.lost, stats.concealed),
        (0, 0),
        "a DTX pause is not loss: {stats:?}"
    );
}

#[test]
fn long_dtx_gap_is_capped_at_one_second() {
    let t0 = Instant::now();
    let mut jb = JitterBuffer::new(fixed(20));
    // A 5 s pause, not a whole number of frames.
    let frames = [
        (0u16, 0u32),
        (1, 960),
        (2, 960 + 240_100),
        (3, 960 * 2 + 240_100),
    ];
    for (seq, ts) in frames {
        jb.push(t0, seq, ts, &[seq as u8]);
    }
    assert_eq!(
        jb.pop(t0),
        Playout::Packet {
            payload: vec![0],
            samples: 960
        }
    );
    let mut silence = 0;
    let mut pops = 0;
    loop {
        match jb.pop(t0) {
            Playout::Silence { samples } => {
                assert!(samples <= 960, "silence comes in frame-sized pops");
                silence += samples;
                pops += 1;
            }
            other => {
                assert_eq!(
                    other,
                    Playout::Packet {
                        payload: vec![1],
                        samples: 960
                    }
                );
                break;
            }
        }
        assert!(pops < 100, "the pause must end");
    }
    assert_eq!(silence, 0, "packet 1 follows packet 0 directly");
    let mut silence = 0;
    while let Playout::Silence { samples } = jb.pop(t0) {
        silence += samples;
        assert!(silence <= 48_000, "pause capped at 1 s");
    }
    assert_eq!(silence, 48_000, "a 5 s pause plays as 1 s of silence");
}

#[test]
fn sequence_numbers_wrap() {
    let t0 = Instant::now();
    let s = Stream::starting_at(65_533, 0, FRAME);
    let mut jb = JitterBuffer::new(fixed(60));
    // 65533, 65534, 0 (reordered before 65535), 65535, 1.
    for n in [0, 1, 3, 2, 4] {
        s.push(&mut jb, t0, n);
    }
    for n in 0..5 {
        assert_eq!(jb.pop(t0), packet(n, 960), "frame {n} across the wrap");
    }
    let stats = jb.stats();
    assert_eq!(
        (stats.lost, stats.late, stats.dropped),
        (0, 0, 0),
        "{stats:?}"
    );
    s.push(&mut jb, t0, 0);
    assert_eq!(jb.stats().late, 1, "65533 is behind 1 after the wrap");
}

#[test]
fn timestamps_wrap() {
    let t0 = Instant::now();
    let s = Stream::starting_at(7, u32::MAX - 2 * FRAME + 100, FRAME);
    let mut jb = JitterBuffer::new(JitterConfig::default());
    for n in 0..6 {
        let now = ms(t0, u64::from(n) * 20);
        s.push(&mut jb, now, n);
        assert_eq!(jb.pop(now), packet(n, 960), "no pause or loss at the wrap");
    }
    assert_eq!(jb.stats().target_delay_ms, 20, "the wrap is not jitter");
}

#[test]
fn learns_10_ms_frames() {
    let t0 = Instant::now();
    let s = Stream::starting_at(0, 0, 480);
    let mut jb = JitterBuffer::new(JitterConfig::default());
    s.push(&mut jb, t0, 0);
    s.push(&mut jb, ms(t0, 10), 1);
    assert_eq!(jb.frame_samples(), 480);
    assert_eq!(jb.pop(ms(t0, 10)), packet(0, 480));
    for n in 2..30 {
        let now = ms(t0, u64::from(n) * 10);
        s.push(&mut jb, now, n);
        assert_eq!(jb.pop(now), packet(n - 1, 480), "10 ms frame {n}");
    }
    assert_eq!(jb.stats().target_delay_ms, 20, "two 10 ms frames");
    assert_eq!(jb.stats().lost, 0);
}

#[test]
fn learns_10_ms_frames_from_short_bursts_that_play_out_at_once() {
    // Speech in two-packet bursts between DTX pauses: each packet is played before the next
    // arrives, so no two are ever buffered together.
    let t0 = Instant::now();
    let s = Stream::starting_at(0, 0, 480);
    let mut jb = JitterBuffer::new(JitterConfig::default());
    s.push(&mut jb, t0, 0);
    let _ = jb.pop(t0);
    s.push(&mut jb, ms(t0, 10), 1);
    assert_eq!(
        jb.frame_samples(),
        480,
        "learnt from the packet already played"
    );
}

#[test]
fn the_target_is_at_least_one_frame() {
    let s = Stream::new();
    let t0 = Instant::now();
    let mut jb = JitterBuffer::new(config_ms(0, 5));
    s.push(&mut jb, t0, 0);
    assert_eq!(jb.target_delay(), Duration::from_millis(20));
}

/// Deterministic pseudo-random numbers (an LCG), so the tests never flake.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
        (self.0 >> 33) % bound
    }
}

/// Plays `count` packets sent every 20 ms, each delayed by `jitter(n)` ms, with a pop every
/// 20 ms (offset by 10 ms). Returns what each pop gave.
fn simulate(jb: &mut JitterBuffer, count: u32, mut jitter: impl FnMut(u32) -> u64) -> Vec<Playout> {
    let t0 = Instant::now();
    let s = Stream::new();
    let mut arrivals: Vec<(u64, u32)> = (0..count)
        .map(|n| (u64::from(n) * 20 + jitter(n), n))
        .collect();
    arrivals.sort_unstable();
    let mut arrivals = arrivals.into_iter().peekable();
    let mut out = Vec::new();
    for t in 0..u64::from(count) * 20 {
        while let Some((_, n)) = arrivals.next_if(|&(at, _)| at <= t) {
            s.push(jb, ms(t0, t), n);
        }
        if t % 20 == 10 {
            out.push(jb.pop(ms(t0, t)));
        }
    }
    out
}

#[test]
fn delay_grows_under_jitter() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let mut rng = Lcg(7);
    let out = simulate(&mut jb, 500, |_| rng.below(60));
    let stats = jb.stats();
    assert!(
        (60..=100).contains(&stats.target_delay_ms),
        "0-60 ms jitter needs about 60 ms + a frame: {stats:?}"
    );
    let played = out[400..]
        .iter()
        .filter(|p| matches!(p, Playout::Packet { .. }))
        .count();
    assert!(
        played >= 95,
        "once adapted nearly every frame plays: {played}/100, {stats:?}"
    );
}

#[test]
fn delay_is_clamped_to_max() {
    let mut jb = JitterBuffer::new(config_ms(20, 80));
    let mut rng = Lcg(3);
    simulate(&mut jb, 200, |_| rng.below(300));
    assert_eq!(jb.stats().target_delay_ms, 80, "never above max_delay");
}

#[test]
fn delay_stays_at_min_for_a_clean_stream() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    let out = simulate(&mut jb, 300, |_| 5);
    let stats = jb.stats();
    assert_eq!(stats.target_delay_ms, 20, "{stats:?}");
    assert_eq!((stats.lost, stats.late), (0, 0), "{stats:?}");
    let played = out
        .iter()
        .filter(|p| matches!(p, Playout::Packet { .. }))
        .count();
    assert_eq!(played, 300, "every frame plays");
}

#[test]
fn catches_up_after_a_burst() {
    let mut jb = JitterBuffer::new(JitterConfig::default());
    // 300 clean packets, then 15 held back 300 ms and delivered at once, then clean again.
    let out = simulate(&mut jb, 600, |n| {
        if (300..315).contains(&n) {
            300 - u64::from(n - 300) * 20
        } else {
            0
        }
    });
    let stats = jb.stats();
    assert!(
        stats.dropped > 0,
        "old frames are dropped to catch up: {stats:?}"
    );
    assert!(
        stats.buffered_ms <= stats.target_delay_ms + 20,
        "back near the target: {stats:?}"
    );
    let tail = out[500..]
        .iter()
        .filter(|p| matches!(p, Playout::Packet { .. }))
        .count();
    assert_eq!(tail, 100, "plays cleanly after catching up: {stats:?}");
}

#[test]
fn sender_restart_starts_over() {
    let t0 = Instant::now();
    let mut jb = JitterBuffer::new(JitterConfig::default());
    jb.push(t0, 100, 0, &[1]);
    assert_eq!(
        jb.pop(t0),
        Playout::Packet {
            payload: vec![1],
            samples: 960
        }
    );
    jb.push(t0, 30_000, 123_456, &[2]);
    assert_eq!(
        jb.pop(t0),
        Playout::Packet {
            payload: vec![2],
            samples: 960
        },
        "new stream plays"
    );
    assert_eq!(jb.stats().late, 0);
}

#[test]
fn a_new_sender_behind_the_same_stream_starts_over() {
    // An SFU forwarding a re-created producer: the sequence numbers start far behind, or go on
    // while the timestamps start again lower. Either is a new stream, not late packets.
    for (seq, ts) in [(5_000u16, 900_000u32), (20_001, 10)] {
        let t0 = Instant::now();
        let mut jb = JitterBuffer::new(JitterConfig::default());
        jb.push(t0, 20_000, 480_000, &payload(1));
        assert_eq!(jb.pop(t0), packet(1, 960));
        jb.push(t0, seq, ts, &payload(2));
        assert_eq!(
            jb.pop(t0),
            packet(2, 960),
            "the new sender plays (seq {seq}, ts {ts})"
        );
        assert_eq!(jb.stats().late, 0);
    }
}

#[test]
fn below_target_a_missing_packet_is_waited_for() {
    let t0 = Instant::now();
    let s = Stream::new();
    let mut jb = JitterBuffer::new(fixed(60));
    for n in 0..3 {
        s.push(&mut jb, t0, n);
    }
    assert_eq!(jb.pop(t0), packet(0, 960));
    assert_eq!(jb.pop(t0), packet(1, 960));
    s.push(&mut jb, t0, 4);
    assert_eq!(jb.pop(t0), packet(2, 960));
    assert_eq!(
        jb.pop(t0),
        CONCEAL,
        "3 is missing, only 40 ms buffered: stretch and wait"
    );
    s.push(&mut jb, t0, 3);
    assert_eq!(jb.pop(t0), packet(3, 960), "the waited-for packet plays");
    assert_eq!(jb.pop(t0), packet(4, 960));
    let stats = jb.stats();
    assert_eq!(
        (stats.lost, stats.late),
        (0, 0),
        "waiting is not loss: {stats:?}"
    );
}
