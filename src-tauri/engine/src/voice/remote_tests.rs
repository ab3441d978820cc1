//! Sans-IO tests of [`RemoteVoice`]: real Opus packets from a sine tone, pushed and played on a
//! simulated clock (no sockets, no sleeping).

use std::collections::VecDeque;
use std::time::Duration;

use super::*;
use crate::audio::analysis::rms;
use crate::audio::{AudioSource, FrameDuration};
use crate::audio::{EncoderConfig, MAX_PACKET_BYTES, OpusEncoder, SineSource};

/// The playout period, as the engine's playout thread runs it.
const TICK: Duration = Duration::from_millis(10);
/// Samples per playout period at 48 kHz.
const TICK_SAMPLES: usize = 480;
/// A 10 ms chunk quieter than this counts as silent (the tone's RMS is about 0.35).
const SILENT_RMS: f64 = 0.02;

/// An RTP packet of voice: (sequence number, timestamp, Opus payload).
type VoicePacket = (u16, u32, Vec<u8>);

/// A remote user speaking a 440 Hz tone, one 20 ms Opus packet at a time, as RTP would carry it.
struct Talker {
    source: SineSource,
    encoder: OpusEncoder,
    seq: u16,
    timestamp: u32,
}

impl Talker {
    fn new() -> Self {
        let config = EncoderConfig::default();
        assert_eq!(
            config.frame,
            FrameDuration::Ms20,
            "the tests step 20 ms packets"
        );
        Self {
            source: SineSource::new(440.0, 0.5),
            encoder: OpusEncoder::new(config).expect("the default encoder config is valid"),
            seq: 1_000,
            timestamp: 90_000,
        }
    }

    /// The next packet: (seq, timestamp, payload).
    fn next_packet(&mut self) -> VoicePacket {
        let mut pcm = [0i16; 960];
        self.source.read(&mut pcm);
        let mut out = [0u8; MAX_PACKET_BYTES];
        let n = self
            .encoder
            .encode(&pcm, &mut out)
            .expect("a 20 ms frame encodes");
        let packet = (self.seq, self.timestamp, out[..n].to_vec());
        self.seq = self.seq.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(960);
        packet
    }
}

/// What one 10 ms playout period gave.
struct Chunk {
    at: Duration,
    playing: bool,
    heard: Option<Path>,
    rms: f64,
}

/// Plays one 10 ms period at `now`.
fn play(voice: &mut RemoteVoice, start: Instant, now: Instant) -> Chunk {
    let mut out = [0i16; TICK_SAMPLES];
    let playing = voice.play(now, &mut out);
    Chunk {
        at: now - start,
        playing,
        heard: voice.status().heard,
        rms: rms(&out),
    }
}

/// Steps a talker and a listener in 10 ms periods for `until`: every 20 ms a packet is made and
/// pushed on the paths `paths(elapsed)` gives, then the period plays.
fn run(
    voice: &mut RemoteVoice,
    talker: &mut Talker,
    start: Instant,
    until: Duration,
    paths: impl Fn(Duration) -> Vec<Path>,
) -> Vec<Chunk> {
    let mut chunks = Vec::new();
    let mut elapsed = Duration::ZERO;
    while elapsed < until {
        let now = start + elapsed;
        if elapsed.as_millis().is_multiple_of(20) {
            let (seq, ts, payload) = talker.next_packet();
            for path in paths(elapsed) {
                voice.push(now, path, seq, ts, &payload);
            }
        }
        chunks.push(play(voice, start, now));
        elapsed += TICK;
    }
    chunks
}

#[test]
fn p2p_is_heard_first_then_the_sfu_without_a_silent_chunk() {
    let start = Instant::now();
    let mut voice = RemoteVoice::new(JitterConfig::default());
    let mut talker = Talker::new();
    let sfu_from = Duration::from_secs(1);
    let chunks = run(
        &mut voice,
        &mut talker,
        start,
        Duration::from_secs(2),
        |t| {
            if t < sfu_from {
                vec![Path::P2p]
            } else {
                vec![Path::P2p, Path::Sfu]
            }
        },
    );

    let first = chunks
        .iter()
        .find(|c| c.playing)
        .expect("the voice plays at all");
    assert_eq!(
        first.heard,
        Some(Path::P2p),
        "P2P arrives first and is heard first"
    );
    assert!(
        chunks
            .iter()
            .filter(|c| c.at >= first.at && c.at < sfu_from)
            .all(|c| c.heard == Some(Path::P2p)),
        "only P2P is heard before the SFU stream exists"
    );

    let switch = chunks
        .iter()
        .find(|c| c.heard == Some(Path::Sfu))
        .expect("the SFU stream is heard once it plays");
    assert!(
        switch.at >= sfu_from && switch.at <= sfu_from + Duration::from_millis(100),
        "the switch comes soon after the SFU stream starts, at {:?}",
        switch.at
    );
    assert!(
        chunks
            .iter()
            .filter(|c| c.at >= switch.at)
            .all(|c| c.heard == Some(Path::Sfu)),
        "once the SFU plays it stays heard while P2P still arrives"
    );
    assert_eq!(
        voice.status(),
        RemoteStatus {
            heard: Some(Path::Sfu),
            paths: vec![Path::P2p, Path::Sfu],
        },
        "both streams stay live, the SFU is heard"
    );

    // The first 60 ms may hold the encoder's lookahead; after that the tone never drops out.
    let gaps: Vec<(Duration, f64)> = chunks
        .iter()
        .filter(|c| c.at >= Duration::from_millis(60))
        .filter(|c| c.rms < SILENT_RMS)
        .map(|c| (c.at, c.rms))
        .collect();
    assert!(
        gaps.is_empty(),
        "silent 10 ms chunks (at, rms) across the switch at {:?}: {gaps:?}",
        switch.at
    );
}

#[test]
fn a_stream_is_heard_from_the_period_it_starts_in() {
    let start = Instant::now();
    let mut voice = RemoteVoice::new(JitterConfig::default());
    let mut talker = Talker::new();
    // Warm the encoder past its lookahead so the first packet pushed carries the tone throughout.
    for _ in 0..5 {
        talker.next_packet();
    }
    let (seq, ts, payload) = talker.next_packet();
    voice.push(start, Path::P2p, seq, ts, &payload);
    let first = play(&mut voice, start, start);
    assert!(
        voice.is_playing(Path::P2p),
        "one 20 ms packet reaches the 20 ms target"
    );
    assert!(
        first.playing && first.heard == Some(Path::P2p),
        "the period in which playout starts is heard, not thrown away"
    );
    assert!(
        first.rms > SILENT_RMS,
        "the first 10 ms of the voice come out (rms {})",
        first.rms
    );
}

#[test]
fn a_p2p_stream_keeps_playing_when_the_sfu_has_not_started() {
    let start = Instant::now();
    let mut voice = RemoteVoice::new(JitterConfig::default());
    let mut talker = Talker::new();
    let chunks = run(
        &mut voice,
        &mut talker,
        start,
        Duration::from_millis(500),
        |_| vec![Path::P2p],
    );
    assert!(voice.is_playing(Path::P2p));
    assert!(!voice.is_playing(Path::Sfu));
    assert_eq!(
        chunks.last().map(|c| c.heard),
        Some(Some(Path::P2p)),
        "no SFU stream: P2P stays heard"
    );
    assert_eq!(voice.status().paths, vec![Path::P2p]);
    assert!(voice.stats(Path::Sfu).is_none());
    let stats = voice.stats(Path::P2p).expect("a P2P stream");
    assert_eq!(stats.received, 25, "one packet per 20 ms");
    assert_eq!(stats.lost, 0, "a clean stream loses nothing");
}

#[test]
fn an_ended_stream_goes_once_played_out() {
    let start = Instant::now();
    let mut voice = RemoteVoice::new(JitterConfig::default());
    let mut talker = Talker::new();
    let talked = Duration::from_millis(300);
    run(&mut voice, &mut talker, start, talked, |_| {
        vec![Path::P2p, Path::Sfu]
    });
    assert_eq!(voice.status().paths, vec![Path::P2p, Path::Sfu]);

    voice.end(Path::P2p);
    assert!(
        voice.is_playing(Path::P2p),
        "an ended track still has audio buffered"
    );
    let mut gone_after = None;
    for i in 0..50u32 {
        let at = talked + TICK * i;
        play(&mut voice, start, start + at);
        if !voice.status().paths.contains(&Path::P2p) {
            gone_after = Some(at - talked);
            break;
        }
    }
    let gone_after = gone_after.expect("the ended P2P stream goes within 500 ms");
    assert!(
        gone_after < Duration::from_millis(200),
        "it goes as soon as it has played out, not after the idle timeout: {gone_after:?}"
    );
    assert_eq!(
        voice.status().paths,
        vec![Path::Sfu],
        "the SFU stream, not ended, stays"
    );
    assert!(!voice.is_gone());
}

#[test]
fn a_stream_with_no_packets_for_two_seconds_goes() {
    let start = Instant::now();
    let mut voice = RemoteVoice::new(JitterConfig::default());
    let mut talker = Talker::new();
    let talked = Duration::from_millis(200);
    run(&mut voice, &mut talker, start, talked, |_| vec![Path::Sfu]);
    let last_packet = talked - Duration::from_millis(20);

    let mut elapsed = talked;
    while elapsed <= last_packet + Duration::from_millis(1_990) {
        let chunk = play(&mut voice, start, start + elapsed);
        if elapsed >= talked + Duration::from_millis(100) {
            assert!(!chunk.playing, "ran dry: nothing plays at {elapsed:?}");
            assert_eq!(chunk.heard, None);
            assert_eq!(chunk.rms, 0.0, "silence once dry");
        }
        elapsed += TICK;
    }
    assert_eq!(
        voice.status().paths,
        vec![Path::Sfu],
        "a quiet stream is kept for up to 2 s (the sender may only be pausing)"
    );

    play(
        &mut voice,
        start,
        start + last_packet + Duration::from_millis(2_010),
    );
    assert!(voice.is_gone(), "no packet for over 2 s: the stream goes");

    // The sender comes back: a fresh stream starts.
    let back = start + Duration::from_secs(5);
    let (seq, ts, payload) = talker.next_packet();
    voice.push(back, Path::Sfu, seq, ts, &payload);
    assert!(!voice.is_gone());
    assert!(
        play(&mut voice, start, back).playing,
        "the new stream plays"
    );
}

#[test]
fn the_switch_to_a_late_starting_sfu_path_has_no_gap_by_construction() {
    // The SFU path starts 1 s late, its copies of each frame 10 ms behind the P2P ones, and
    // P2P closes 40 ms after the SFU's first packet. The same frames arrive on both paths, so
    // the buffer plays whichever copy comes first: nothing restarts at the switch.
    let start = Instant::now();
    let mut voice = RemoteVoice::new(JitterConfig::default());
    let mut talker = Talker::new();
    let (sfu_from, p2p_until) = (Duration::from_secs(1), Duration::from_millis(1_040));
    let lag = Duration::from_millis(10);
    let mut late: VecDeque<(Duration, VoicePacket)> = VecDeque::new();
    let mut chunks = Vec::new();
    let mut elapsed = Duration::ZERO;
    while elapsed < Duration::from_secs(3) {
        let now = start + elapsed;
        if elapsed.as_millis().is_multiple_of(20) {
            let (seq, ts, payload) = talker.next_packet();
            if elapsed < p2p_until {
                voice.push(now, Path::P2p, seq, ts, &payload);
            } else if elapsed == p2p_until {
                voice.end(Path::P2p);
            }
            if elapsed >= sfu_from {
                late.push_back((elapsed + lag, (seq, ts, payload)));
            }
        }
        while let Some((_, (seq, ts, payload))) = late.front().filter(|(due, _)| *due <= elapsed) {
            voice.push(now, Path::Sfu, *seq, *ts, payload);
            late.pop_front();
        }
        chunks.push(play(&mut voice, start, now));
        elapsed += TICK;
    }
    let gaps: Vec<Duration> = chunks
        .iter()
        .filter(|c| c.at >= Duration::from_millis(60) && c.rms < SILENT_RMS)
        .map(|c| c.at)
        .collect();
    assert!(gaps.is_empty(), "silent 10 ms chunks at {gaps:?}");
    assert!(
        chunks
            .iter()
            .any(|c| c.at > p2p_until && c.heard == Some(Path::Sfu)),
        "the SFU carries the voice after P2P closed"
    );
    assert_eq!(voice.status().paths, vec![Path::Sfu]);
    let stats = voice.stats(Path::Sfu).expect("the SFU delivers");
    assert!(
        stats.duplicates + stats.late > 0,
        "the second copies were dropped: {stats:?}"
    );
}
