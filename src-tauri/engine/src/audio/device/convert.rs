//! Format conversion between a device's native format (any rate, any channel count, interleaved
//! `f32`) and the engine's mono [`SAMPLE_RATE`] `i16`.
//!
//! These run on the engine's side of the rings, never in a real-time callback: they may grow
//! their buffers. The callbacks only convert sample types ([`DeviceSample`]).

use std::collections::VecDeque;

use audioadapter_buffers::direct::InterleavedSlice;
use rubato::{
    Async, FixedAsync, Resampler, SincInterpolationParameters, SincInterpolationType,
    WindowFunction, calculate_cutoff,
};

use crate::audio::SAMPLE_RATE;

/// A sample type a device stream is built for. Only `i16` and `f32` are used: every ALSA
/// device offers at least one of them (through its `plug` layer if need be).
pub(crate) trait DeviceSample: cpal::SizedSample + Send + 'static {
    /// The sample as a fraction of full scale.
    fn to_f32(self) -> f32;
    /// A fraction of full scale as this sample type, clamped to its range.
    fn from_f32(value: f32) -> Self;
}

impl DeviceSample for f32 {
    fn to_f32(self) -> f32 {
        self
    }
    fn from_f32(value: f32) -> Self {
        value.clamp(-1.0, 1.0)
    }
}

impl DeviceSample for i16 {
    fn to_f32(self) -> f32 {
        f32::from(self) / 32_768.0
    }
    fn from_f32(value: f32) -> Self {
        // Exact inverse of `to_f32` for every i16 value, so 48 kHz mono i16 passes through.
        (value * 32_768.0).round().clamp(-32_768.0, 32_767.0) as i16
    }
}

/// Sinc length of the resampler: plenty for voice, and cheap at one channel.
const SINC_LEN: usize = 128;

/// Input chunk of the resampler in milliseconds: a latency/overhead trade-off.
const CHUNK_MS: usize = 10;

/// A streaming mono sample-rate converter: push any number of samples, take what is ready.
///
/// Wraps a rubato sinc resampler with a fixed input chunk of [`CHUNK_MS`]; samples wait until a
/// whole chunk is there, so it adds that much latency plus the filter's delay.
pub(crate) struct RateConverter {
    resampler: Async<f32>,
    chunk: usize,
    input: Vec<f32>,
    output: Vec<f32>,
}

impl RateConverter {
    /// A converter from `from_hz` to `to_hz`.
    ///
    /// # Errors
    /// Returns rubato's reason when it refuses the ratio (a zero rate).
    pub(crate) fn new(from_hz: u32, to_hz: u32) -> Result<Self, String> {
        if from_hz == 0 || to_hz == 0 {
            return Err(format!("cannot resample {from_hz} Hz to {to_hz} Hz"));
        }
        let window = WindowFunction::BlackmanHarris2;
        let parameters = SincInterpolationParameters {
            sinc_len: SINC_LEN,
            f_cutoff: calculate_cutoff(SINC_LEN, window),
            interpolation: SincInterpolationType::Cubic,
            oversampling_factor: 128,
            window,
        };
        let chunk = (from_hz as usize * CHUNK_MS / 1000).max(1);
        let ratio = f64::from(to_hz) / f64::from(from_hz);
        let resampler =
            Async::<f32>::new_sinc(ratio, 1.0, &parameters, chunk, 1, FixedAsync::Input)
                .map_err(|e| e.to_string())?;
        let output = vec![0.0; resampler.output_frames_max()];
        Ok(Self {
            resampler,
            chunk,
            input: Vec::with_capacity(chunk * 2),
            output,
        })
    }

    /// Feeds `samples` and appends every output sample that is ready to `out`.
    pub(crate) fn process(&mut self, samples: &[f32], out: &mut impl Extend<f32>) {
        self.input.extend_from_slice(samples);
        let mut start = 0;
        while self.input.len() - start >= self.chunk {
            let Ok(input) =
                InterleavedSlice::new(&self.input[start..start + self.chunk], 1, self.chunk)
            else {
                break;
            };
            let frames = self.output.len();
            let Ok(mut output) = InterleavedSlice::new_mut(&mut self.output, 1, frames) else {
                break;
            };
            match self
                .resampler
                .process_into_buffer(&input, &mut output, None)
            {
                Ok((used, made)) => {
                    start += used.max(1);
                    out.extend(self.output[..made].iter().copied());
                }
                Err(e) => {
                    // Cannot happen with buffers sized from the resampler itself; drop the chunk
                    // rather than stall the audio path.
                    tracing::warn!(error = %e, "resampling failed; a chunk was dropped");
                    start += self.chunk;
                }
            }
        }
        self.input.drain(..start);
    }
}

/// Turns a capture device's interleaved samples into engine audio (mono, [`SAMPLE_RATE`], i16).
pub(crate) struct CaptureConverter {
    channels: usize,
    resampler: Option<RateConverter>,
    mono: Vec<f32>,
    resampled: Vec<f32>,
}

impl CaptureConverter {
    /// A converter for a device delivering `channels` channels at `rate` Hz.
    ///
    /// # Errors
    /// Returns why no resampler could be made for `rate`.
    pub(crate) fn new(rate: u32, channels: u16) -> Result<Self, String> {
        let resampler = if rate == SAMPLE_RATE {
            None
        } else {
            Some(RateConverter::new(rate, SAMPLE_RATE)?)
        };
        Ok(Self {
            channels: usize::from(channels.max(1)),
            resampler,
            mono: Vec::new(),
            resampled: Vec::new(),
        })
    }

    /// Converts `interleaved` (whole frames; a trailing partial frame is ignored) and appends
    /// the engine samples to `out`.
    pub(crate) fn push(&mut self, interleaved: &[f32], out: &mut VecDeque<i16>) {
        self.mono.clear();
        downmix(interleaved, self.channels, &mut self.mono);
        match &mut self.resampler {
            None => out.extend(self.mono.iter().map(|&s| i16::from_f32(s))),
            Some(resampler) => {
                self.resampled.clear();
                resampler.process(&self.mono, &mut self.resampled);
                out.extend(self.resampled.iter().map(|&s| i16::from_f32(s)));
            }
        }
    }
}

/// Turns engine audio into a playback device's interleaved samples.
pub(crate) struct PlaybackConverter {
    channels: usize,
    rate: u32,
    resampler: Option<RateConverter>,
    mono: Vec<f32>,
    resampled: Vec<f32>,
}

impl PlaybackConverter {
    /// A converter for a device playing `channels` channels at `rate` Hz.
    ///
    /// # Errors
    /// Returns why no resampler could be made for `rate`.
    pub(crate) fn new(rate: u32, channels: u16) -> Result<Self, String> {
        let resampler = if rate == SAMPLE_RATE {
            None
        } else {
            Some(RateConverter::new(SAMPLE_RATE, rate)?)
        };
        Ok(Self {
            channels: usize::from(channels.max(1)),
            rate,
            resampler,
            mono: Vec::new(),
            resampled: Vec::new(),
        })
    }

    /// How long `samples` interleaved device samples play for.
    pub(crate) fn duration_of(&self, samples: usize) -> std::time::Duration {
        let per_second = u64::from(self.rate.max(1)) * self.channels as u64;
        std::time::Duration::from_micros(samples as u64 * 1_000_000 / per_second)
    }

    /// Converts engine `samples` and replaces `out` with the interleaved device samples that are
    /// ready (the resampler may hold some back until its next chunk).
    pub(crate) fn convert(&mut self, samples: &[i16], out: &mut Vec<f32>) {
        self.mono.clear();
        self.mono.extend(samples.iter().map(|&s| s.to_f32()));
        out.clear();
        match &mut self.resampler {
            None => upmix(&self.mono, self.channels, out),
            Some(resampler) => {
                self.resampled.clear();
                resampler.process(&self.mono, &mut self.resampled);
                upmix(&self.resampled, self.channels, out);
            }
        }
    }
}

/// Appends the average of each whole frame of `interleaved` to `out`.
pub(crate) fn downmix(interleaved: &[f32], channels: usize, out: &mut Vec<f32>) {
    if channels <= 1 {
        out.extend_from_slice(interleaved);
        return;
    }
    let scale = 1.0 / channels as f32;
    out.extend(
        interleaved
            .chunks_exact(channels)
            .map(|frame| frame.iter().sum::<f32>() * scale),
    );
}

/// Appends each sample of `mono` to `out` once per channel.
pub(crate) fn upmix(mono: &[f32], channels: usize, out: &mut Vec<f32>) {
    if channels <= 1 {
        out.extend_from_slice(mono);
        return;
    }
    out.reserve(mono.len() * channels);
    for &sample in mono {
        out.extend(std::iter::repeat_n(sample, channels));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::analysis::{goertzel_power, rms};
    use crate::audio::{AudioSource, SineSource};

    fn sine_f32(freq: f32, rate: u32, len: usize) -> Vec<f32> {
        (0..len)
            .map(|i| 0.5 * (std::f32::consts::TAU * freq * i as f32 / rate as f32).sin())
            .collect()
    }

    #[test]
    fn mono_48k_i16_passes_through_exactly() {
        let mut tone = vec![0i16; 4_800];
        SineSource::new(440.0, 0.8).read(&mut tone);
        tone.extend([i16::MIN, i16::MAX, 0, -1, 1]);
        let device: Vec<f32> = tone.iter().map(|&s| s.to_f32()).collect();
        let mut converter = CaptureConverter::new(48_000, 1).expect("48 kHz needs no resampler");
        let mut out = VecDeque::new();
        converter.push(&device, &mut out);
        assert_eq!(
            Vec::from(out),
            tone,
            "48 kHz mono must pass through unchanged"
        );

        let mut playback = PlaybackConverter::new(48_000, 1).expect("48 kHz needs no resampler");
        let mut played = Vec::new();
        playback.convert(&tone, &mut played);
        let back: Vec<i16> = played.iter().map(|&s| i16::from_f32(s)).collect();
        assert_eq!(
            back, tone,
            "48 kHz mono playback must pass through unchanged"
        );
    }

    #[test]
    fn resampling_44k1_to_48k_keeps_a_1khz_tone() {
        let input = sine_f32(1_000.0, 44_100, 44_100);
        let mut converter = CaptureConverter::new(44_100, 1).expect("resampler");
        let mut out = VecDeque::new();
        // Uneven pushes, as device callbacks deliver them.
        for chunk in input.chunks(313) {
            converter.push(chunk, &mut out);
        }
        let out = Vec::from(out);
        let len = out.len();
        assert!(
            (47_000..=48_000).contains(&len),
            "one second at 44.1 kHz must give about 48000 samples, got {len}"
        );
        // Skip the filter's start-up.
        let steady = &out[4_800..];
        let at_1k = goertzel_power(steady, 1_000.0);
        let off = goertzel_power(steady, 1_088.0);
        assert!(
            at_1k > 0.2,
            "1 kHz must stay at 1 kHz after resampling: power {at_1k}"
        );
        assert!(
            off < at_1k / 100.0,
            "resampled tone must not drift: 1088 Hz has {off}"
        );
        assert!(
            (rms(steady) - 0.5 / 2f64.sqrt()).abs() < 0.02,
            "level must be kept"
        );
    }

    #[test]
    fn playback_resamples_48k_to_44k1_and_upmixes() {
        let mut tone = vec![0i16; 48_000];
        SineSource::new(1_000.0, 0.5).read(&mut tone);
        let mut converter = PlaybackConverter::new(44_100, 2).expect("resampler");
        let mut all = Vec::new();
        let mut out = Vec::new();
        for frame in tone.chunks(960) {
            converter.convert(frame, &mut out);
            all.extend_from_slice(&out);
        }
        let frames = all.len() / 2;
        assert!(
            (43_000..=44_100).contains(&frames),
            "one second at 48 kHz must give about 44100 frames, got {frames}"
        );
        assert!(
            all.chunks_exact(2).all(|f| f[0] == f[1]),
            "mono must be copied to both channels"
        );
        // Back to 48 kHz to measure with the engine's Goertzel helper.
        let left: Vec<f32> = all.chunks_exact(2).map(|f| f[0]).collect();
        let mut back = CaptureConverter::new(44_100, 1).expect("resampler");
        let mut engine = VecDeque::new();
        back.push(&left, &mut engine);
        let engine = Vec::from(engine);
        let power = goertzel_power(&engine[9_600..], 1_000.0);
        assert!(
            power > 0.2,
            "the 1 kHz tone must survive 48k→44.1k→48k: {power}"
        );
    }

    #[test]
    fn stereo_is_downmixed_to_the_average() {
        let interleaved = [0.5, 0.1, -0.5, -0.1, 1.0, 0.0, 0.25];
        let mut converter = CaptureConverter::new(48_000, 2).expect("no resampler");
        let mut out = VecDeque::new();
        converter.push(&interleaved, &mut out);
        let want: Vec<i16> = [0.3f32, -0.3, 0.5]
            .iter()
            .map(|&s| i16::from_f32(s))
            .collect();
        assert_eq!(
            Vec::from(out),
            want,
            "each frame is the mean of its channels; a partial frame is dropped"
        );
    }

    #[test]
    fn sample_types_round_trip_and_clamp() {
        assert_eq!(i16::from_f32(1.5), i16::MAX);
        assert_eq!(i16::from_f32(-1.5), i16::MIN);
        assert_eq!(f32::from_f32(2.0), 1.0);
        for s in [i16::MIN, -12_345, -1, 0, 1, 12_345, i16::MAX] {
            assert_eq!(
                i16::from_f32(s.to_f32()),
                s,
                "i16 {s} must round-trip through f32"
            );
        }
    }
}
