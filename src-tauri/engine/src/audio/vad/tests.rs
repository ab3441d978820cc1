use super::*;
use crate::audio::{AudioSource, SilenceSource, SineSource};

const FRAME: usize = 960;
const FRAME_MS: u64 = 20;

/// The user's talk controls for a run of frames.
#[derive(Debug, Clone, Copy)]
struct Controls {
    mode: TalkMode,
    ptt: bool,
    muted: bool,
}

fn controls(mode: TalkMode, ptt: bool, muted: bool) -> Controls {
    Controls { mode, ptt, muted }
}

/// Feeds `frames` 20 ms frames of `source` starting at frame index `start`; returns each decision.
fn run(
    gate: &mut VoiceGate,
    t0: Instant,
    start: u64,
    frames: u64,
    source: &mut dyn AudioSource,
    c: Controls,
) -> Vec<GateDecision> {
    let mut pcm = [0i16; FRAME];
    (start..start + frames)
        .map(|i| {
            source.read(&mut pcm);
            let now = t0 + Duration::from_millis(i * FRAME_MS);
            gate.process(now, &pcm, c.mode, c.ptt, c.muted)
        })
        .collect()
}

/// A -20 dBFS (peak) 300 Hz tone: clearly speech level.
fn voice() -> SineSource {
    SineSource::new(300.0, 0.1)
}

/// A -40 dBFS (peak) 100 Hz hum: audible background, quieter than speech.
fn hum() -> SineSource {
    SineSource::new(100.0, 0.01)
}

fn vad(
    gate: &mut VoiceGate,
    t0: Instant,
    start: u64,
    frames: u64,
    source: &mut dyn AudioSource,
) -> Vec<GateDecision> {
    run(
        gate,
        t0,
        start,
        frames,
        source,
        controls(TalkMode::VoiceActivity, false, false),
    )
}

#[test]
fn default_config() {
    let config = VadConfig::default();
    assert_eq!(config.margin_db, 12.0);
    assert_eq!(config.absolute_floor_dbfs, -50.0);
    assert_eq!(config.hangover, Duration::from_millis(300));
    assert_eq!(config.attack_frames, 1);
    assert_eq!(config.ptt_tail, Duration::from_millis(100));
    assert_eq!(TalkMode::default(), TalkMode::VoiceActivity);
}

#[test]
fn a_tone_is_speech() {
    let t0 = Instant::now();
    let mut gate = VoiceGate::new(VadConfig::default());
    let out = vad(&mut gate, t0, 0, 50, &mut voice());
    for (i, d) in out.iter().enumerate() {
        assert!(
            d.transmit && d.speaking,
            "frame {i} of a -20 dBFS tone is speech: {d:?}"
        );
        assert!((d.level - 0.0707).abs() < 0.002, "level is the RMS: {d:?}");
    }
}

#[test]
fn silence_is_not_speech() {
    let t0 = Instant::now();
    let mut gate = VoiceGate::new(VadConfig::default());
    let out = vad(&mut gate, t0, 0, 50, &mut SilenceSource::new());
    assert!(
        out.iter()
            .all(|d| !d.transmit && !d.speaking && d.level == 0.0),
        "silence is never sent"
    );
}

#[test]
fn constant_low_noise_becomes_the_floor() {
    let t0 = Instant::now();
    let mut gate = VoiceGate::new(VadConfig::default());
    let out = vad(&mut gate, t0, 0, 500, &mut hum());
    assert!(out[0].speaking, "hum above -50 dBFS first counts as voice");
    assert!(
        out[400..].iter().all(|d| !d.speaking && !d.transmit),
        "after a few seconds steady hum is background"
    );
    let floor = gate.noise_floor_dbfs();
    assert!(
        (floor + 43.0).abs() < 1.0,
        "the floor settles at the hum's -43 dBFS RMS, got {floor}"
    );
    let out = vad(&mut gate, t0, 500, 5, &mut voice());
    assert!(
        out.iter().all(|d| d.speaking),
        "speech over the hum is still speech"
    );
}

#[test]
fn noise_floor_falls_quickly() {
    let t0 = Instant::now();
    let mut gate = VoiceGate::new(VadConfig::default());
    vad(&mut gate, t0, 0, 500, &mut hum());
    vad(&mut gate, t0, 500, 1, &mut SilenceSource::new());
    assert_eq!(
        gate.noise_floor_dbfs(),
        -100.0,
        "one silent frame brings the floor down"
    );
    let out = vad(&mut gate, t0, 501, 1, &mut hum());
    assert!(out[0].speaking, "so the hum is heard as voice again");
}

#[test]
fn hangover_bridges_pauses() {
    let t0 = Instant::now();
    let mut gate = VoiceGate::new(VadConfig::default());
    // Voice for frames 0..10 (last voiced frame at 180 ms), then silence.
    vad(&mut gate, t0, 0, 10, &mut voice());
    let out = vad(&mut gate, t0, 10, 20, &mut SilenceSource::new());
    // Voice holds until 180 + 300 = 480 ms: frames at 200..=460 ms (indices 10..=23).
    for (k, d) in out.iter().enumerate() {
        let ms = (10 + k as u64) * FRAME_MS;
        let want = ms < 480;
        assert_eq!(d.speaking, want, "at {ms} ms speaking should be {want}");
        assert_eq!(d.transmit, want, "at {ms} ms transmit should be {want}");
    }
}

#[test]
fn attack_needs_consecutive_voiced_frames() {
    let t0 = Instant::now();
    let config = VadConfig {
        attack_frames: 3,
        ..VadConfig::default()
    };
    let mut gate = VoiceGate::new(config);
    let out = vad(&mut gate, t0, 0, 4, &mut voice());
    let speaking: Vec<bool> = out.iter().map(|d| d.speaking).collect();
    assert_eq!(
        speaking,
        [false, false, true, true],
        "voice from the third voiced frame"
    );
}

#[test]
fn push_to_talk_sends_while_held_plus_a_tail() {
    let t0 = Instant::now();
    let mut gate = VoiceGate::new(VadConfig::default());
    let ptt = TalkMode::PushToTalk;
    let held = run(
        &mut gate,
        t0,
        0,
        5,
        &mut SilenceSource::new(),
        controls(ptt, true, false),
    );
    assert!(
        held.iter().all(|d| d.transmit && d.speaking),
        "held: sent even when silent"
    );
    // Last held at 80 ms: the tail runs until 180 ms (frames at 100..=160 ms).
    let released = run(
        &mut gate,
        t0,
        5,
        6,
        &mut voice(),
        controls(ptt, false, false),
    );
    let sent: Vec<bool> = released.iter().map(|d| d.transmit).collect();
    assert_eq!(
        sent,
        [true, true, true, true, false, false],
        "100 ms tail, voice or not"
    );
    assert!(released.iter().all(|d| d.transmit == d.speaking));
}

#[test]
fn push_to_talk_never_pressed_sends_nothing() {
    let t0 = Instant::now();
    let mut gate = VoiceGate::new(VadConfig::default());
    let out = run(
        &mut gate,
        t0,
        0,
        10,
        &mut voice(),
        controls(TalkMode::PushToTalk, false, false),
    );
    assert!(
        out.iter().all(|d| !d.transmit && !d.speaking),
        "voice alone does not open PTT"
    );
}

#[test]
fn open_mic_always_sends() {
    let t0 = Instant::now();
    let mut gate = VoiceGate::new(VadConfig::default());
    let open = TalkMode::Open;
    let quiet = run(
        &mut gate,
        t0,
        0,
        5,
        &mut SilenceSource::new(),
        controls(open, false, false),
    );
    assert!(
        quiet.iter().all(|d| d.transmit && !d.speaking),
        "silence is sent, not speaking"
    );
    let loud = run(
        &mut gate,
        t0,
        5,
        5,
        &mut voice(),
        controls(open, false, false),
    );
    assert!(
        loud.iter().all(|d| d.transmit && d.speaking),
        "voice is sent and speaking"
    );
}

#[test]
fn self_mute_silences_every_mode() {
    let t0 = Instant::now();
    let mut gate = VoiceGate::new(VadConfig::default());
    for (i, mode) in [
        TalkMode::VoiceActivity,
        TalkMode::PushToTalk,
        TalkMode::Open,
    ]
    .into_iter()
    .enumerate()
    {
        let out = run(
            &mut gate,
            t0,
            i as u64 * 10,
            10,
            &mut voice(),
            controls(mode, true, true),
        );
        for d in out {
            assert!(
                !d.transmit && !d.speaking,
                "{mode:?} muted sends nothing: {d:?}"
            );
            assert!(
                d.level > 0.05,
                "the meter still shows the level while muted"
            );
        }
    }
    let out = run(
        &mut gate,
        t0,
        30,
        1,
        &mut voice(),
        controls(TalkMode::VoiceActivity, false, false),
    );
    assert!(out[0].transmit, "unmuted voice is sent at once");
}
