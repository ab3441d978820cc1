//! Objective measurements of the capture path's processing: a known far end through a simulated
//! echo path (delay, a decaying response, noise) into the microphone, and what comes out.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::processing::{
    ApmProcessor, NoiseLevel, PROCESSING_FRAME, ProcessingConfig, VoiceProcessor,
};
use super::{SAMPLES_PER_MS, SpeechSource};

const ECHO_ONLY: ProcessingConfig = ProcessingConfig {
    echo_cancel: true,
    noise: NoiseLevel::Off,
    auto_gain: false,
};

/// A room between the speakers and the microphone: a delay, then a sparse response decaying
/// over 60 ms, plus the microphone's own noise.
struct EchoPath {
    taps: Vec<(usize, f64)>,
    history: Vec<f64>,
    at: usize,
    noise: StdRng,
    /// Every this many samples the speaker's clock gains one on the microphone's (clock drift).
    drift_every: Option<usize>,
    played: usize,
}

impl EchoPath {
    fn new(delay_ms: usize) -> Self {
        let mut rng = StdRng::seed_from_u64(11);
        let delay = delay_ms * SAMPLES_PER_MS;
        let length = 60 * SAMPLES_PER_MS;
        let taps = (0..40)
            .map(|i| {
                let offset = i * length / 40 + rng.random_range(0..length / 40);
                let decay = (-(offset as f64) / (15.0 * SAMPLES_PER_MS as f64)).exp();
                let sign = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
                (delay + offset, 0.35 * decay * sign)
            })
            .collect::<Vec<_>>();
        let span = taps.iter().map(|(d, _)| *d).max().unwrap_or(0) + 1;
        Self {
            taps,
            history: vec![0.0; span],
            at: 0,
            noise: StdRng::seed_from_u64(5),
            drift_every: None,
            played: 0,
        }
    }

    /// The speakers' clock runs `ppm` parts per million fast against the microphone's.
    fn drifting(mut self, ppm: usize) -> Self {
        self.drift_every = Some(1_000_000 / ppm);
        self
    }

    /// The microphone's sample for the speaker's `played` sample.
    fn pass(&mut self, played: f64) -> f64 {
        let span = self.history.len();
        self.played += 1;
        if self
            .drift_every
            .is_some_and(|every| self.played.is_multiple_of(every))
        {
            // One sample more went out than the microphone's clock counted.
            self.history[self.at] = played;
            self.at = (self.at + 1) % span;
        }
        self.history[self.at] = played;
        let echo: f64 = self
            .taps
            .iter()
            .map(|(d, g)| g * self.history[(self.at + span - d) % span])
            .sum();
        self.at = (self.at + 1) % span;
        echo + self.noise.random_range(-1.0..1.0) * 0.0003
    }
}

fn pcm(x: f64) -> i16 {
    (x * 32767.0).round().clamp(-32768.0, 32767.0) as i16
}

fn energy(samples: &[i16]) -> f64 {
    samples.iter().map(|&s| f64::from(s).powi(2)).sum()
}

/// Runs `seconds` of far-end speech through `path` into the processor (with `near` talking
/// into the microphone too, when given); returns per 10 ms frame (far end, microphone, output).
fn run(
    processor: &mut dyn VoiceProcessor,
    path: &mut EchoPath,
    near: Option<&mut SpeechSource>,
    seconds: usize,
) -> Vec<(Vec<i16>, Vec<i16>, Vec<i16>)> {
    let mut far = SpeechSource::new(1, 120.0);
    let mut near = near;
    (0..seconds * 100)
        .map(|_| {
            let far_frame: Vec<i16> = (0..PROCESSING_FRAME)
                .map(|_| pcm(far.next_sample()))
                .collect();
            let mic: Vec<i16> = far_frame
                .iter()
                .map(|&s| {
                    let voice = near.as_deref_mut().map_or(0.0, SpeechSource::next_sample);
                    pcm(path.pass(f64::from(s) / 32767.0) + voice)
                })
                .collect();
            processor.render(&far_frame);
            let mut out = mic.clone();
            processor.capture(&mut out);
            (far_frame, mic, out)
        })
        .collect()
}

/// Echo reduction in dB over the frames `from..to` (10 ms each) where the far end talks.
fn erle(frames: &[(Vec<i16>, Vec<i16>, Vec<i16>)], from: usize, to: usize) -> f64 {
    let (mic, out) = frames[from..to]
        .iter()
        .filter(|(far, _, _)| energy(far) > 1e6 * PROCESSING_FRAME as f64 / 480.0)
        .fold((0.0, 0.0), |(m, o), (_, mic, out)| {
            (m + energy(mic), o + energy(out))
        });
    10.0 * (mic / out.max(1.0)).log10()
}

#[test]
fn echo_is_cancelled_within_a_second_and_deeply_after_four() {
    let mut apm = ApmProcessor::new(ECHO_ONLY);
    let frames = run(&mut apm, &mut EchoPath::new(40), None, 6);
    let (first, settled) = (erle(&frames, 0, 100), erle(&frames, 400, 600));
    println!("echo reduction: first second {first:.1} dB, after 4 s {settled:.1} dB");
    assert!(first >= 20.0, "first second: {first:.1} dB");
    assert!(settled >= 30.0, "after 4 s: {settled:.1} dB");
}

#[test]
fn without_echo_cancellation_the_echo_passes() {
    // The control: the measurement can fail.
    let mut apm = ApmProcessor::new(ProcessingConfig::OFF);
    let frames = run(&mut apm, &mut EchoPath::new(40), None, 2);
    let passed = erle(&frames, 0, 200);
    assert!(passed.abs() < 0.5, "{passed:.2} dB");
}

#[test]
fn near_end_speech_alone_passes_unchanged_in_level() {
    let mut apm = ApmProcessor::new(ECHO_ONLY);
    let mut near = SpeechSource::new(9, 210.0);
    let mut silent_far = SpeechSource::new(1, 120.0);
    let mut mic_energy = 0.0;
    let mut out_energy = 0.0;
    for frame in 0..500 {
        // The far end is silent: the speakers play nothing.
        let far = vec![0i16; PROCESSING_FRAME];
        let _ = silent_far.next_sample();
        let mic: Vec<i16> = (0..PROCESSING_FRAME)
            .map(|_| pcm(near.next_sample()))
            .collect();
        apm.render(&far);
        let mut out = mic.clone();
        apm.capture(&mut out);
        if frame >= 100 {
            mic_energy += energy(&mic);
            out_energy += energy(&out);
        }
    }
    let change = 10.0 * (out_energy / mic_energy).log10();
    println!("near-end speech level change: {change:+.2} dB");
    assert!(change.abs() <= 1.0, "{change:+.2} dB");
}

#[test]
fn the_canceller_recovers_within_two_seconds_when_the_delay_jumps() {
    let mut apm = ApmProcessor::new(ECHO_ONLY);
    run(&mut apm, &mut EchoPath::new(40), None, 4);
    // A new device, say: the echo now comes 120 ms after the speakers play.
    let frames = run(&mut apm, &mut EchoPath::new(120), None, 4);
    let (during, after) = (erle(&frames, 0, 200), erle(&frames, 200, 400));
    println!("after a 40 -> 120 ms jump: first 2 s {during:.1} dB, next 2 s {after:.1} dB");
    assert!(after >= 20.0, "2 s after the jump: {after:.1} dB");
}

#[test]
fn clock_drift_of_100_ppm_between_speakers_and_microphone_is_tolerated() {
    let mut apm = ApmProcessor::new(ECHO_ONLY);
    let frames = run(&mut apm, &mut EchoPath::new(40).drifting(100), None, 12);
    let late = erle(&frames, 400, 1200);
    println!("with 100 ppm drift: {late:.1} dB from 4 s to 12 s");
    assert!(late >= 30.0, "{late:.1} dB");
}

/// Steady fan-like noise: low-passed noise with a hum, about -40 dBFS.
struct Fan {
    rng: StdRng,
    low: f64,
    n: usize,
}

impl Fan {
    fn next(&mut self) -> f64 {
        self.n += 1;
        self.low = 0.97 * self.low + 0.03 * self.rng.random_range(-1.0..1.0);
        let hum = (std::f64::consts::TAU * 120.0 * self.n as f64 / 48_000.0).sin();
        0.04 * self.low + 0.004 * hum
    }
}

#[test]
fn noise_suppression_removes_a_steady_fan_and_keeps_the_speech() {
    for level in [NoiseLevel::Standard, NoiseLevel::Strong] {
        let config = ProcessingConfig {
            echo_cancel: false,
            noise: level,
            auto_gain: false,
        };
        let mut apm = ApmProcessor::new(config);
        let mut talker = SpeechSource::new(9, 210.0);
        let mut fan = Fan {
            rng: StdRng::seed_from_u64(3),
            low: 0.0,
            n: 0,
        };
        let (mut noise_in, mut noise_out, mut speech_in, mut speech_out) = (0.0, 0.0, 0.0, 0.0);
        let mut quiet_frames = 0;
        for frame in 0..800 {
            let voice: Vec<f64> = (0..PROCESSING_FRAME)
                .map(|_| talker.next_sample())
                .collect();
            let mic: Vec<i16> = voice.iter().map(|v| pcm(v + fan.next())).collect();
            let mut out = mic.clone();
            apm.capture(&mut out);
            if frame < 200 {
                continue; // the suppressor learns the noise first
            }
            let speech: Vec<i16> = voice.iter().map(|v| pcm(*v)).collect();
            quiet_frames = if energy(&speech) == 0.0 {
                quiet_frames + 1
            } else {
                0
            };
            if quiet_frames > 5 {
                // Well inside a pause: the processing's own delay has no speech left to play.
                noise_in += energy(&mic);
                noise_out += energy(&out);
            } else if energy(&speech) > 0.0 {
                speech_in += energy(&mic);
                speech_out += energy(&out);
            }
        }
        let removed = 10.0 * (noise_in / noise_out.max(1.0)).log10();
        let speech = 10.0 * (speech_out / speech_in).log10();
        println!("{level:?}: noise -{removed:.1} dB, speech {speech:+.1} dB");
        assert!(removed >= 15.0, "{level:?}: noise down {removed:.1} dB");
        assert!(speech >= -3.0, "{level:?}: speech {speech:+.1} dB");
    }
}
