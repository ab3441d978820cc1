//! Synthetic audio sources: tones, speech-like sound, silence and clicks.

use std::f64::consts::TAU;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::{AudioSource, SAMPLE_RATE, SAMPLES_PER_MS};

/// Largest positive sample, the "full scale" that amplitudes are fractions of.
const FULL_SCALE: f64 = i16::MAX as f64;

/// An endless sine tone.
///
/// The phase carries over from one [`AudioSource::read`] to the next, so frames of any length
/// join without clicks. It never ends.
#[derive(Debug, Clone)]
pub struct SineSource {
    /// Phase advance per sample, in cycles.
    step: f64,
    /// Current phase, in cycles, kept in `0.0..1.0`.
    phase: f64,
    /// Peak value in sample units.
    peak: f64,
}

impl SineSource {
    /// A sine of `freq_hz` with peak `amplitude` as a fraction of full scale.
    ///
    /// `amplitude` is clamped to `0.0..=1.0` (NaN counts as 0). Frequencies above the Nyquist
    /// frequency (24 kHz) alias, as they would for any sampled tone.
    pub fn new(freq_hz: f32, amplitude: f32) -> Self {
        let amplitude = if amplitude.is_nan() {
            0.0
        } else {
            amplitude.clamp(0.0, 1.0)
        };
        Self {
            step: f64::from(freq_hz) / f64::from(SAMPLE_RATE),
            phase: 0.0,
            peak: f64::from(amplitude) * FULL_SCALE,
        }
    }
}

impl AudioSource for SineSource {
    fn read(&mut self, frame: &mut [i16]) -> bool {
        for sample in frame.iter_mut() {
            *sample = (self.peak * (TAU * self.phase).sin()).round() as i16;
            self.phase = (self.phase + self.step).rem_euclid(1.0);
        }
        true
    }
}

/// Speech-like audio: a voiced sound (a gliding fundamental and its harmonics, shaped like a
/// vowel) in syllables of about 200 ms with pauses between words; peak about -12 dBFS. What an
/// echo canceller or a noise suppressor is made for, unlike a steady tone (which one takes
/// for noise and the other cannot place in time). Seeded, so runs repeat. It never ends.
#[derive(Debug, Clone)]
pub struct SpeechSource {
    rng: StdRng,
    phase: f64,
    n: usize,
    pitch: f64,
}

impl SpeechSource {
    /// A talker with fundamental `pitch` Hz (about 120 for a low voice, 210 for a high one);
    /// `seed` picks the breath noise.
    pub fn new(seed: u64, pitch: f64) -> Self {
        Self {
            rng: StdRng::seed_from_u64(seed),
            phase: 0.0,
            n: 0,
            pitch,
        }
    }

    /// The next sample, as a fraction of full scale.
    pub fn next_sample(&mut self) -> f64 {
        let t = self.n as f64 / f64::from(SAMPLE_RATE);
        self.n += 1;
        // Syllables at 4 Hz, a pause of 0.4 s every 1.5 s.
        let syllable = (std::f64::consts::PI * 4.0 * t).sin().abs().powf(0.7);
        let word = if t % 1.5 < 1.1 { 1.0 } else { 0.0 };
        let f0 = self.pitch * (1.0 + 0.15 * (TAU * 0.7 * t).sin());
        self.phase += TAU * f0 / f64::from(SAMPLE_RATE);
        let voiced: f64 = (1..=12)
            .map(|k| {
                let f = f0 * f64::from(k);
                // Formant-ish emphasis around 500 Hz and 1.5 kHz.
                let gain = 1.0 / (1.0 + ((f - 500.0) / 300.0).powi(2))
                    + 0.5 / (1.0 + ((f - 1500.0) / 400.0).powi(2));
                gain * (self.phase * f64::from(k)).sin()
            })
            .sum();
        let breath = self.rng.random_range(-1.0..1.0) * 0.05;
        0.12 * syllable * word * (voiced + breath)
    }
}

impl AudioSource for SpeechSource {
    fn read(&mut self, frame: &mut [i16]) -> bool {
        for sample in frame.iter_mut() {
            *sample = (self.next_sample() * FULL_SCALE)
                .round()
                .clamp(-FULL_SCALE, FULL_SCALE) as i16;
        }
        true
    }
}

/// An endless stream of digital silence (all zeros).
#[derive(Debug, Clone, Copy, Default)]
pub struct SilenceSource;

impl SilenceSource {
    /// A silence source.
    pub fn new() -> Self {
        Self
    }
}

impl AudioSource for SilenceSource {
    fn read(&mut self, frame: &mut [i16]) -> bool {
        frame.fill(0);
        true
    }
}

/// Periodic full-scale clicks over silence, for measuring end-to-end latency.
///
/// Each click is a short full-scale 1 kHz burst that starts at its peak, so the click's onset is
/// exactly its first sample and survives Opus (a single-sample impulse would be smeared and
/// attenuated). Clicks start at sample 0 of the stream and repeat every
/// [`ClickSource::period_samples`] samples; the rest is digital silence. It never ends.
#[derive(Debug, Clone)]
pub struct ClickSource {
    period: usize,
    burst: usize,
    /// Position within the current period, in samples.
    pos: usize,
}

/// Frequency of the tone inside each click burst.
const CLICK_TONE_HZ: f64 = 1_000.0;

impl ClickSource {
    /// Clicks every `period_ms`, each `burst_ms` long.
    ///
    /// `period_ms` is at least 1 ms; `burst_ms` is clamped to `1..=period_ms`.
    pub fn new(period_ms: u32, burst_ms: u32) -> Self {
        let period_ms = period_ms.max(1);
        let burst_ms = burst_ms.clamp(1, period_ms);
        Self {
            period: period_ms as usize * SAMPLES_PER_MS,
            burst: burst_ms as usize * SAMPLES_PER_MS,
            pos: 0,
        }
    }

    /// Distance between the onsets of two clicks, in samples.
    pub fn period_samples(&self) -> usize {
        self.period
    }
}

impl AudioSource for ClickSource {
    fn read(&mut self, frame: &mut [i16]) -> bool {
        let step = CLICK_TONE_HZ / f64::from(SAMPLE_RATE);
        for sample in frame.iter_mut() {
            *sample = if self.pos < self.burst {
                // A cosine so the burst's first sample is at full scale.
                (FULL_SCALE * (TAU * step * self.pos as f64).cos()).round() as i16
            } else {
                0
            };
            self.pos = (self.pos + 1) % self.period;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::analysis::{first_onset, goertzel_power, rms};

    #[test]
    fn sine_is_phase_continuous_across_reads() {
        let mut whole = SineSource::new(440.0, 0.5);
        let mut pieces = SineSource::new(440.0, 0.5);
        let mut a = vec![0i16; 2000];
        whole.read(&mut a);
        let mut b = vec![0i16; 2000];
        let (first, rest) = b.split_at_mut(333);
        pieces.read(first);
        pieces.read(rest);
        assert_eq!(
            a, b,
            "reading in pieces must give the same samples as one read"
        );
    }

    #[test]
    fn sine_has_requested_frequency_and_amplitude() {
        let mut src = SineSource::new(1_000.0, 0.5);
        let mut buf = vec![0i16; 48_000];
        assert!(src.read(&mut buf), "a sine never ends");
        let peak = buf.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
        assert!(
            (16_000..=16_384).contains(&peak),
            "peak {peak} should be half scale"
        );
        let p = goertzel_power(&buf, 1_000.0);
        assert!(
            (p - 0.25).abs() < 0.01,
            "half-scale sine has power 0.25, got {p}"
        );
    }

    #[test]
    fn amplitude_is_clamped() {
        let mut src = SineSource::new(100.0, 3.0);
        let mut buf = vec![0i16; 4800];
        src.read(&mut buf);
        assert!(
            buf.iter().all(|s| *s > i16::MIN),
            "no overflow past full scale"
        );
        let mut nan = SineSource::new(100.0, f32::NAN);
        nan.read(&mut buf);
        assert!(buf.iter().all(|s| *s == 0), "NaN amplitude gives silence");
    }

    #[test]
    fn silence_is_zero() {
        let mut buf = vec![7i16; 960];
        assert!(SilenceSource::new().read(&mut buf));
        assert_eq!(rms(&buf), 0.0, "silence must be all zeros");
    }

    #[test]
    fn clicks_start_on_period_boundaries() {
        let mut src = ClickSource::new(100, 5);
        assert_eq!(src.period_samples(), 4_800);
        let mut buf = vec![0i16; 4_800 * 3];
        assert!(src.read(&mut buf));
        for k in 0..3 {
            let period = &buf[k * 4_800..(k + 1) * 4_800];
            assert_eq!(
                first_onset(period, 0.9),
                Some(0),
                "click {k} starts at its period"
            );
            assert_eq!(
                rms(&period[240..]),
                0.0,
                "click {k} is silent after its 5 ms burst"
            );
        }
    }
}
