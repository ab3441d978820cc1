//! Measurements on mono 48 kHz i16 audio, used by tests and tools to check what was heard.
//!
//! All levels are fractions of full scale (`i16` magnitude 32768 is 1.0), so thresholds do not
//! depend on the sample format. None of these functions are meant for the real-time path.

use std::f64::consts::TAU;

use super::{SAMPLE_RATE, SAMPLES_PER_MS};

/// Magnitude of full scale, the unit of every level in this module.
const FULL_SCALE: f64 = 32_768.0;

/// Power of `samples` at `freq_hz`, measured with a Hann-windowed Goertzel filter.
///
/// Normalised so that a sine at `freq_hz` with peak amplitude `a` (fraction of full scale) gives
/// about `a²`, whatever the length: a full-scale sine gives ~1.0 and thresholds carry over between
/// window lengths. The window keeps leakage from other tones low; the frequency resolution is
/// about `2 * 48000 / samples.len()` Hz, so tones closer than that are not told apart.
/// Returns 0.0 for fewer than two samples.
pub fn goertzel_power(samples: &[i16], freq_hz: f32) -> f64 {
    let n = samples.len();
    if n < 2 {
        return 0.0;
    }
    let coeff = 2.0 * (TAU * f64::from(freq_hz) / f64::from(SAMPLE_RATE)).cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    let mut window_sum = 0.0;
    for (i, &sample) in samples.iter().enumerate() {
        // Periodic Hann window.
        let w = 0.5 - 0.5 * (TAU * i as f64 / n as f64).cos();
        window_sum += w;
        let s0 = w * f64::from(sample) / FULL_SCALE + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    // A sine of peak `a` gives |X| = a * sum(w) / 2.
    4.0 * power.max(0.0) / (window_sum * window_sum)
}

/// Root mean square level of `samples`, as a fraction of full scale (0.0 for no samples).
///
/// A full-scale square wave gives ~1.0, a full-scale sine ~0.707.
pub fn rms(samples: &[i16]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    let sum: f64 = samples
        .iter()
        .map(|&s| {
            let x = f64::from(s) / FULL_SCALE;
            x * x
        })
        .sum();
    (sum / samples.len() as f64).sqrt()
}

/// [`goertzel_power`] of `samples` at each of `freqs`, in the same order.
pub fn tone_report(samples: &[i16], freqs: &[f32]) -> Vec<(f32, f64)> {
    freqs
        .iter()
        .map(|&f| (f, goertzel_power(samples, f)))
        .collect()
}

/// Length in milliseconds of the longest silent stretch of `samples`.
///
/// The audio is cut into consecutive windows of `window_ms` (0 counts as 1 ms; the last window
/// may be shorter); a window is silent when its [`rms`] is below `threshold_rms`. The result is
/// the longest run of silent windows, so it is a multiple of `window_ms` except at the very end,
/// and gaps shorter than one window may be missed. Use it to assert "no gap longer than X ms".
pub fn longest_silence_ms(samples: &[i16], window_ms: u32, threshold_rms: f64) -> u32 {
    let window = window_ms.max(1) as usize * SAMPLES_PER_MS;
    let (mut longest, mut current) = (0usize, 0usize);
    for chunk in samples.chunks(window) {
        if rms(chunk) < threshold_rms {
            current += chunk.len();
            longest = longest.max(current);
        } else {
            current = 0;
        }
    }
    u32::try_from(longest / SAMPLES_PER_MS).unwrap_or(u32::MAX)
}

/// Index of the first sample whose magnitude is above `threshold` (a fraction of full scale),
/// or `None` if no sample is. Used to find a click's arrival for latency measurement.
pub fn first_onset(samples: &[i16], threshold: f64) -> Option<usize> {
    samples
        .iter()
        .position(|&s| f64::from(s).abs() / FULL_SCALE > threshold)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::{AudioSource, SineSource};

    fn tone(freq: f32, amplitude: f32, len: usize) -> Vec<i16> {
        let mut buf = vec![0i16; len];
        SineSource::new(freq, amplitude).read(&mut buf);
        buf
    }

    #[test]
    fn goertzel_is_length_independent() {
        for len in [480, 960, 4_800, 48_000] {
            let p = goertzel_power(&tone(440.0, 1.0, len), 440.0);
            assert!(
                (p - 1.0).abs() < 0.05,
                "full-scale 440 Hz over {len} samples gave {p}"
            );
        }
    }

    #[test]
    fn goertzel_separates_tones() {
        let buf = tone(440.0, 0.5, 960);
        let report = tone_report(&buf, &[440.0, 660.0, 880.0]);
        assert_eq!(report.len(), 3);
        let (f, on) = report[0];
        assert_eq!(f, 440.0);
        assert!(
            (on - 0.25).abs() < 0.02,
            "half-scale tone has power 0.25, got {on}"
        );
        for &(f, off) in &report[1..] {
            assert!(
                off < on / 1_000.0,
                "{f} Hz must be far below 440 Hz: {off} vs {on}"
            );
        }
    }

    #[test]
    fn goertzel_of_nothing_is_zero() {
        assert_eq!(goertzel_power(&[], 440.0), 0.0);
        assert_eq!(goertzel_power(&[0; 960], 440.0), 0.0);
    }

    #[test]
    fn rms_levels() {
        assert_eq!(rms(&[]), 0.0);
        assert_eq!(rms(&[0; 100]), 0.0);
        let square: Vec<i16> = (0..100)
            .map(|i| if i % 2 == 0 { i16::MAX } else { i16::MIN })
            .collect();
        assert!(
            (rms(&square) - 1.0).abs() < 1e-3,
            "full-scale square is ~1.0"
        );
        let sine = rms(&tone(1_000.0, 1.0, 48_000));
        assert!(
            (sine - std::f64::consts::FRAC_1_SQRT_2).abs() < 1e-3,
            "full-scale sine is ~0.707, got {sine}"
        );
    }

    #[test]
    fn longest_silence_finds_the_gap() {
        // 100 ms tone, 60 ms silence, 100 ms tone, 30 ms silence.
        let mut buf = tone(440.0, 0.5, 4_800);
        buf.extend(std::iter::repeat_n(0, 60 * 48));
        buf.extend(tone(440.0, 0.5, 4_800));
        buf.extend(std::iter::repeat_n(0, 30 * 48));
        assert_eq!(
            longest_silence_ms(&buf, 10, 0.01),
            60,
            "the 60 ms gap is the longest"
        );
        assert_eq!(
            longest_silence_ms(&buf, 20, 0.01),
            60,
            "gap aligned to 20 ms windows"
        );
        assert_eq!(
            longest_silence_ms(&buf[..4_800], 10, 0.01),
            0,
            "tone alone has no gap"
        );
        assert_eq!(
            longest_silence_ms(&[0; 480], 0, 0.01),
            10,
            "0 ms windows count as 1 ms"
        );
        assert_eq!(longest_silence_ms(&[], 10, 0.01), 0);
    }

    #[test]
    fn quiet_noise_counts_as_silence() {
        let hiss: Vec<i16> = (0..4_800)
            .map(|i| if i % 3 == 0 { 30 } else { -30 })
            .collect();
        assert_eq!(
            longest_silence_ms(&hiss, 10, 0.01),
            100,
            "hiss under the threshold is silence"
        );
        assert_eq!(
            longest_silence_ms(&hiss, 10, 0.0001),
            0,
            "but not under a tiny threshold"
        );
    }

    #[test]
    fn first_onset_finds_the_click() {
        let mut buf = vec![0i16; 1_000];
        buf[100] = 1_000;
        buf[700] = -20_000;
        assert_eq!(first_onset(&buf, 0.01), Some(100));
        assert_eq!(
            first_onset(&buf, 0.5),
            Some(700),
            "negative peaks count by magnitude"
        );
        assert_eq!(first_onset(&buf, 0.9), None);
    }
}
