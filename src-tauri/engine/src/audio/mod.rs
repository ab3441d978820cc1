//! The device-free audio path of the client engine.
//!
//! Everything inside the engine is mono, [`SAMPLE_RATE`] Hz, signed 16-bit PCM. Audio enters
//! through an [`AudioSource`] (a test tone, a WAV file, silence, clicks), leaves through an
//! [`AudioSink`] (a WAV file, memory, nowhere), and crosses the network as Opus packets made by
//! [`OpusEncoder`] and read by [`OpusDecoder`]. [`analysis`] holds the measurements tests and
//! tools use to decide whether the other side *heard* what was sent.
//!
//! Nothing outside [`device`] touches a sound device, so the whole path runs in unit tests and
//! headless bots; [`device`] connects it to real capture and playback devices through cpal.

pub mod analysis;
pub mod device;
mod jitter;
mod mixer;
mod opus;
pub mod processing;
mod sink;
mod source;
mod vad;
mod wav;

#[cfg(test)]
mod processing_tests;

use std::path::PathBuf;

pub use jitter::{JitterBuffer, JitterConfig, JitterStats, Playout};
pub use mixer::{Mixer, ProximityCurve, UserGain, level};
pub use opus::{CodecError, EncoderConfig, MAX_PACKET_BYTES, OpusDecoder, OpusEncoder};
pub use sink::{MemorySink, MemoryTap, NullSink};
pub use source::{ClickSource, SilenceSource, SineSource, SpeechSource};
pub use vad::{GateDecision, TalkMode, VadConfig, VoiceGate};
pub use wav::{WavSink, WavSource};

/// Sample rate of all audio inside the engine, in Hz.
pub const SAMPLE_RATE: u32 = 48_000;

/// Samples per millisecond at [`SAMPLE_RATE`].
pub(crate) const SAMPLES_PER_MS: usize = (SAMPLE_RATE / 1000) as usize;

/// Length of one audio frame: the unit the engine reads, encodes and sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FrameDuration {
    /// 10 ms, 480 samples.
    Ms10,
    /// 20 ms, 960 samples (the usual Opus/WebRTC packet time).
    #[default]
    Ms20,
}

impl FrameDuration {
    /// Number of mono samples in one frame at [`SAMPLE_RATE`] (480 or 960).
    pub const fn samples(self) -> usize {
        self.millis() as usize * SAMPLES_PER_MS
    }

    /// Length of one frame in milliseconds (10 or 20).
    pub const fn millis(self) -> u32 {
        match self {
            Self::Ms10 => 10,
            Self::Ms20 => 20,
        }
    }
}

/// A producer of mono 48 kHz i16 audio, read one frame at a time.
///
/// Sources are pulled by the sending side of the engine (or a test) at the frame rate; they may be
/// moved to another thread, hence `Send`.
pub trait AudioSource: Send {
    /// Fills the whole of `frame` with the next samples.
    ///
    /// Returns `true` while the source still has audio. Once it has ended it returns `false` and
    /// fills `frame` with silence; the caller then sends nothing (or silence). A frame that is only
    /// partly covered by the remaining audio is padded with silence and still returns `true`.
    fn read(&mut self, frame: &mut [i16]) -> bool;

    /// Whether [`AudioSource::read`] itself keeps real time, by blocking until the next frame
    /// has been captured (a microphone). The engine runs its own frame timer only for sources
    /// that are not paced, such as generated tones and files, which answer at once.
    fn paced(&self) -> bool {
        false
    }
}

/// A consumer of mono 48 kHz i16 audio.
pub trait AudioSink: Send {
    /// Appends `samples` to the sink. Sinks that can fail remember the first error and report it
    /// from [`AudioSink::finish`], so the audio path never has to handle it per frame.
    fn write(&mut self, samples: &[i16]);

    /// For a sink that plays in real time (a speaker): how much written audio is still waiting
    /// to be played. The playout thread then follows the device's clock, keeping a little
    /// queued, instead of its own; `None` (the default, and a device that is lost) means it
    /// keeps its own clock.
    fn queued(&self) -> Option<std::time::Duration> {
        None
    }

    /// Flushes and closes the sink.
    ///
    /// # Errors
    /// Returns the first I/O error met while writing or closing.
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Why an audio file could not be read or written. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum AudioFileError {
    /// The file could not be opened, or it is not a WAV file (bad header, truncated data).
    #[error("cannot read WAV file {}: {source}", path.display())]
    Read {
        /// The file we tried to read.
        path: PathBuf,
        /// What the WAV reader reported.
        #[source]
        source: hound::Error,
    },
    /// The file is a WAV file, but in a format we do not convert.
    #[error("unsupported WAV file {}: {reason}", path.display())]
    Unsupported {
        /// The file we tried to read.
        path: PathBuf,
        /// Which part of the format is not supported.
        reason: String,
    },
    /// The file could not be created or its header could not be written.
    #[error("cannot create WAV file {}: {source}", path.display())]
    Create {
        /// The file we tried to create.
        path: PathBuf,
        /// What the WAV writer reported.
        #[source]
        source: hound::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_durations_have_the_right_sample_counts() {
        assert_eq!(FrameDuration::Ms10.samples(), 480, "10 ms at 48 kHz");
        assert_eq!(FrameDuration::Ms20.samples(), 960, "20 ms at 48 kHz");
        assert_eq!(FrameDuration::default(), FrameDuration::Ms20);
    }
}
