//! Cleaning the microphone before it is encoded: acoustic echo cancellation (what the speakers
//! play, heard again by the microphone), noise suppression and automatic gain control.
//!
//! [`VoiceProcessor`] is the one seam: the capture path hands it the far end (exactly what goes
//! to the output device) and the near end (the microphone), 10 ms at a time. [`ApmProcessor`]
//! implements it with `sonora`, a pure-Rust port of WebRTC's audio processing module (AEC3,
//! NS, AGC2, high-pass filter); the echo path's delay is estimated by AEC3 itself, so it follows
//! a device being reopened or changed.

use sonora::config::{
    EchoCanceller, GainController2, HighPassFilter, NoiseSuppression, NoiseSuppressionLevel,
};
use sonora::{AudioProcessing, Config, StreamConfig};

use super::SAMPLE_RATE;

/// Samples in one processing frame: 10 ms at [`SAMPLE_RATE`].
pub const PROCESSING_FRAME: usize = SAMPLE_RATE as usize / 100;

/// How hard noise is suppressed: `Standard` is WebRTC's `High` level (what browsers use),
/// `Strong` its `VeryHigh`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoiseLevel {
    Off,
    #[default]
    Standard,
    Strong,
}

/// Which processing runs on the capture path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessingConfig {
    pub echo_cancel: bool,
    pub noise: NoiseLevel,
    pub auto_gain: bool,
}

impl Default for ProcessingConfig {
    /// What a voice client ships with: everything on, noise suppression at its standard level.
    fn default() -> Self {
        Self {
            echo_cancel: true,
            noise: NoiseLevel::Standard,
            auto_gain: true,
        }
    }
}

impl ProcessingConfig {
    /// Nothing at all: the microphone as it is.
    pub const OFF: Self = Self {
        echo_cancel: false,
        noise: NoiseLevel::Off,
        auto_gain: false,
    };

    pub fn is_off(self) -> bool {
        self == Self::OFF
    }
}

/// Audio processing on the capture path, 10 ms ([`PROCESSING_FRAME`] samples) at a time.
pub trait VoiceProcessor: Send {
    /// What was just sent to the output device: the echo the microphone may pick up.
    fn render(&mut self, far_end: &[i16]);
    /// Cleans the microphone's audio in place.
    fn capture(&mut self, near_end: &mut [i16]);
    /// Switches processing on or off while running.
    fn configure(&mut self, config: ProcessingConfig);
}

/// [`VoiceProcessor`] on WebRTC's audio processing module (the `sonora` port).
pub struct ApmProcessor {
    apm: AudioProcessing,
    config: ProcessingConfig,
    out: Vec<i16>,
}

impl ApmProcessor {
    pub fn new(config: ProcessingConfig) -> Self {
        let stream = StreamConfig::new(SAMPLE_RATE, 1);
        let apm = AudioProcessing::builder()
            .config(apm_config(config))
            .capture_config(stream)
            .render_config(stream)
            .build();
        Self {
            apm,
            config,
            out: vec![0; PROCESSING_FRAME],
        }
    }
}

fn apm_config(config: ProcessingConfig) -> Config {
    let level = match config.noise {
        NoiseLevel::Off => None,
        NoiseLevel::Standard => Some(NoiseSuppressionLevel::High),
        NoiseLevel::Strong => Some(NoiseSuppressionLevel::VeryHigh),
    };
    Config {
        high_pass_filter: (!config.is_off()).then(HighPassFilter::default),
        echo_canceller: config.echo_cancel.then(EchoCanceller::default),
        noise_suppression: level.map(|level| NoiseSuppression {
            level,
            ..NoiseSuppression::default()
        }),
        gain_controller2: config.auto_gain.then(GainController2::default),
        ..Config::default()
    }
}

impl VoiceProcessor for ApmProcessor {
    fn render(&mut self, far_end: &[i16]) {
        if !self.config.echo_cancel {
            return;
        }
        for frame in far_end.chunks_exact(PROCESSING_FRAME) {
            if let Err(e) = self.apm.process_render_i16(frame, &mut self.out) {
                tracing::debug!(error = ?e, "echo reference frame refused");
            }
        }
    }

    fn capture(&mut self, near_end: &mut [i16]) {
        if self.config.is_off() {
            return;
        }
        for frame in near_end.chunks_exact_mut(PROCESSING_FRAME) {
            match self.apm.process_capture_i16(frame, &mut self.out) {
                Ok(()) => frame.copy_from_slice(&self.out),
                Err(e) => tracing::debug!(error = ?e, "capture frame left unprocessed"),
            }
        }
    }

    fn configure(&mut self, config: ProcessingConfig) {
        if config != self.config {
            self.config = config;
            self.apm.apply_config(apm_config(config));
        }
    }
}
