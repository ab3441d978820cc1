//! WAV files as audio sources and sinks.

use std::fs::File;
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};

use hound::{SampleFormat, WavReader, WavSpec, WavWriter};

use super::{AudioFileError, AudioSink, AudioSource, SAMPLE_RATE};

/// A WAV file played as an [`AudioSource`], optionally looped.
///
/// The whole file is decoded into memory when opened and converted to the engine format: 16-bit
/// integer or 32-bit float samples, any channel count (channels are averaged into mono), any
/// sample rate (resampled to 48 kHz by linear interpolation). The resampler has no anti-alias
/// filter, which is fine for test inputs and prompts but not for music or high-quality playback.
#[derive(Debug, Clone)]
pub struct WavSource {
    /// The converted audio: mono, 48 kHz.
    samples: Vec<i16>,
    /// Index of the next sample to play; `<= samples.len()`.
    pos: usize,
    looped: bool,
}

impl WavSource {
    /// Opens and converts the WAV file at `path`. With `looped` the file repeats forever;
    /// otherwise the source ends after the last sample.
    ///
    /// # Errors
    /// [`AudioFileError::Read`] if the file cannot be opened or is not a valid WAV file, and
    /// [`AudioFileError::Unsupported`] for sample formats other than 8-32 bit integer or 32-bit
    /// float, or a zero sample rate or channel count. Both name the file.
    pub fn open(path: impl AsRef<Path>, looped: bool) -> Result<Self, AudioFileError> {
        let path = path.as_ref();
        let read_err = |source| AudioFileError::Read {
            path: path.to_path_buf(),
            source,
        };
        let unsupported = |reason: String| AudioFileError::Unsupported {
            path: path.to_path_buf(),
            reason,
        };

        let reader = WavReader::open(path).map_err(read_err)?;
        let spec = reader.spec();
        if spec.channels == 0 || spec.sample_rate == 0 {
            return Err(unsupported(format!(
                "{} channels at {} Hz",
                spec.channels, spec.sample_rate
            )));
        }
        let interleaved: Vec<f32> = match (spec.sample_format, spec.bits_per_sample) {
            (SampleFormat::Int, bits @ 8..=32) => {
                let scale = 1.0 / f64::from(1u32 << (bits - 1)) as f32;
                reader
                    .into_samples::<i32>()
                    .map(|s| s.map(|s| s as f32 * scale))
                    .collect::<Result<_, _>>()
                    .map_err(read_err)?
            }
            (SampleFormat::Float, 32) => reader
                .into_samples::<f32>()
                .collect::<Result<_, _>>()
                .map_err(read_err)?,
            (format, bits) => {
                return Err(unsupported(format!("{bits}-bit {format:?} samples")));
            }
        };

        let mono = downmix(&interleaved, usize::from(spec.channels));
        let resampled = resample_linear(&mono, spec.sample_rate);
        let samples = resampled.into_iter().map(to_i16).collect();
        tracing::debug!(
            path = %path.display(),
            channels = spec.channels,
            sample_rate = spec.sample_rate,
            "opened WAV source"
        );
        Ok(Self {
            samples,
            pos: 0,
            looped,
        })
    }

    /// The whole converted file: mono, 48 kHz.
    pub fn samples(&self) -> &[i16] {
        &self.samples
    }
}

impl AudioSource for WavSource {
    fn read(&mut self, frame: &mut [i16]) -> bool {
        let len = self.samples.len();
        if len == 0 || (!self.looped && self.pos >= len) {
            frame.fill(0);
            return false;
        }
        let mut filled = 0;
        while filled < frame.len() {
            if self.pos >= len {
                if !self.looped {
                    frame[filled..].fill(0);
                    break;
                }
                self.pos = 0;
            }
            let n = (frame.len() - filled).min(len - self.pos);
            frame[filled..filled + n].copy_from_slice(&self.samples[self.pos..self.pos + n]);
            filled += n;
            self.pos += n;
        }
        true
    }
}

/// Averages interleaved frames of `channels` samples into one mono sample each. An incomplete
/// trailing frame is dropped.
fn downmix(interleaved: &[f32], channels: usize) -> Vec<f32> {
    if channels == 1 {
        return interleaved.to_vec();
    }
    interleaved
        .chunks_exact(channels)
        .map(|frame| frame.iter().sum::<f32>() / channels as f32)
        .collect()
}

/// Resamples `input` from `from_rate` Hz to [`SAMPLE_RATE`] by linear interpolation between the
/// two nearest input samples. No anti-alias filter: see [`WavSource`].
fn resample_linear(input: &[f32], from_rate: u32) -> Vec<f32> {
    if from_rate == SAMPLE_RATE || input.is_empty() {
        return input.to_vec();
    }
    let out_len = (input.len() as u64 * u64::from(SAMPLE_RATE) / u64::from(from_rate)) as usize;
    let step = f64::from(from_rate) / f64::from(SAMPLE_RATE);
    let last = input.len() - 1;
    (0..out_len)
        .map(|i| {
            let pos = i as f64 * step;
            let idx = (pos as usize).min(last);
            let frac = (pos - idx as f64) as f32;
            let a = input[idx];
            let b = input[(idx + 1).min(last)];
            a + (b - a) * frac
        })
        .collect()
}

/// Converts a sample in `-1.0..=1.0` to i16, saturating outside that range.
fn to_i16(x: f32) -> i16 {
    (x * 32_768.0).round().clamp(-32_768.0, 32_767.0) as i16
}

/// An [`AudioSink`] that writes a 48 kHz mono 16-bit WAV file.
///
/// The header is finalised by [`AudioSink::finish`], or on drop if `finish` was not called (a
/// failure then can only be logged). Write errors are remembered and returned by `finish`; writes
/// after the first error or after `finish` are dropped.
pub struct WavSink {
    path: PathBuf,
    /// `None` once finished.
    writer: Option<WavWriter<BufWriter<File>>>,
    /// The first write error, reported by `finish`.
    error: Option<io::Error>,
}

impl std::fmt::Debug for WavSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WavSink")
            .field("path", &self.path)
            .field("finished", &self.writer.is_none())
            .field("error", &self.error)
            .finish()
    }
}

impl WavSink {
    /// Creates (or truncates) the file at `path` and writes a WAV header.
    ///
    /// # Errors
    /// [`AudioFileError::Create`], naming the file, if it cannot be created or written.
    pub fn create(path: impl AsRef<Path>) -> Result<Self, AudioFileError> {
        let path = path.as_ref().to_path_buf();
        let spec = WavSpec {
            channels: 1,
            sample_rate: SAMPLE_RATE,
            bits_per_sample: 16,
            sample_format: SampleFormat::Int,
        };
        match WavWriter::create(&path, spec) {
            Ok(writer) => Ok(Self {
                path,
                writer: Some(writer),
                error: None,
            }),
            Err(source) => Err(AudioFileError::Create { path, source }),
        }
    }

    /// The file this sink writes.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl AudioSink for WavSink {
    fn write(&mut self, samples: &[i16]) {
        let Some(writer) = self.writer.as_mut() else {
            return;
        };
        if self.error.is_some() {
            return;
        }
        for &sample in samples {
            if let Err(e) = writer.write_sample(sample) {
                self.error = Some(into_io(e));
                return;
            }
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        let finalised = match self.writer.take() {
            Some(writer) => writer.finalize().map_err(into_io),
            None => Ok(()),
        };
        match self.error.take() {
            Some(e) => Err(e),
            None => finalised,
        }
    }
}

impl Drop for WavSink {
    fn drop(&mut self) {
        if (self.writer.is_some() || self.error.is_some())
            && let Err(error) = self.finish()
        {
            tracing::warn!(path = %self.path.display(), %error, "WAV sink dropped with an error");
        }
    }
}

fn into_io(e: hound::Error) -> io::Error {
    match e {
        hound::Error::IoError(e) => e,
        other => io::Error::other(other),
    }
}

#[cfg(test)]
mod tests;
