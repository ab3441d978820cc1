//! The audio options every talking command shares (`hearth-bot`, the `hearth` app): what to send (`--tone`, `--wav`, silence)
//! and where to record what is heard (`--record DIR`).

use std::path::PathBuf;
use std::sync::Arc;

use super::{SinkFactory, VoiceConfig};
use crate::audio::device::{DeviceInput, DeviceOutput};
use crate::audio::{
    AudioSink, AudioSource, EncoderConfig, FrameDuration, NullSink, SilenceSource, SineSource,
    TalkMode, WavSink, WavSource,
};
use anyhow::Context;
use clap::Args;

/// Audio options.
#[derive(Args, Clone)]
pub struct VoiceArgs {
    /// Send a sine tone of this frequency.
    #[arg(long, conflicts_with = "wav")]
    pub tone: Option<f32>,
    /// Send this WAV file (once, then silence).
    #[arg(long)]
    pub wav: Option<PathBuf>,
    /// Write each remote user's audio to DIR/user-<id>.wav (and, in a world, the mix of
    /// everyone to DIR/mix.wav).
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Opus frame length in milliseconds: 10 or 20 (anything under 20 means 10).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(10..=20))]
    pub frame_ms: u32,
    /// Capture from this sound device (`default` for the system's) instead of a synthetic
    /// source; voice activity then decides when to send. `hearth-bot devices` lists them.
    #[arg(long, conflicts_with_all = ["tone", "wav"])]
    pub input_device: Option<String>,
    /// Play what is heard on this sound device (`default` for the system's).
    #[arg(long, conflicts_with = "record")]
    pub output_device: Option<String>,
    /// Drop this percentage of arriving packets on purpose (loss-recovery tests).
    #[arg(long, default_value_t = 0.0)]
    pub loss_pct: f64,
}

impl VoiceArgs {
    /// The source to send.
    pub fn source(&self) -> anyhow::Result<Box<dyn AudioSource>> {
        if let Some(name) = &self.input_device {
            return Ok(Box::new(DeviceInput::open(device_name(name))?));
        }
        Ok(match (&self.tone, &self.wav) {
            (Some(hz), _) => Box::new(SineSource::new(*hz, 0.3)),
            (None, Some(path)) => Box::new(WavSource::open(path, false)?),
            (None, None) => Box::new(SilenceSource::new()),
        })
    }

    /// The Opus settings.
    pub fn encoder(&self) -> EncoderConfig {
        EncoderConfig {
            frame: if self.frame_ms < 20 {
                FrameDuration::Ms10
            } else {
                FrameDuration::Ms20
            },
            ..EncoderConfig::default()
        }
    }

    /// One WAV file per remote user under `--record`, or nowhere.
    pub fn user_sinks(&self) -> anyhow::Result<SinkFactory> {
        let Some(dir) = self.record.clone() else {
            return Ok(Arc::new(|_| -> Box<dyn AudioSink> {
                Box::new(NullSink::new())
            }));
        };
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        Ok(Arc::new(move |user| -> Box<dyn AudioSink> {
            wav_or_null(dir.join(format!("user-{user}.wav")))
        }))
    }

    /// The voice engine's config: the source, the mix recorded to DIR/mix.wav under `--record`.
    pub fn voice_config(&self) -> anyhow::Result<VoiceConfig> {
        let output: Box<dyn AudioSink> = match (&self.record, &self.output_device) {
            (_, Some(name)) => Box::new(DeviceOutput::open(device_name(name))?),
            (Some(dir), None) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                wav_or_null(dir.join("mix.wav"))
            }
            (None, None) => Box::new(NullSink::new()),
        };
        let mut config = VoiceConfig::new(self.source()?, output);
        config.encoder = EncoderConfig {
            dtx: true,
            ..self.encoder()
        };
        if self.record.is_some() {
            config.user_sinks = Some(self.user_sinks()?);
        }
        config.receive_loss = (self.loss_pct / 100.0).clamp(0.0, 1.0);
        // A synthetic voice always talks: a steady tone would become the voice detector's noise
        // floor within seconds. A microphone sends when someone speaks; silence never does.
        config.talk_mode = if self.tone.is_some() || self.wav.is_some() {
            TalkMode::Open
        } else {
            TalkMode::VoiceActivity
        };
        Ok(config)
    }
}

/// `default` means the system's default device.
fn device_name(name: &str) -> Option<&str> {
    (name != "default").then_some(name)
}

fn wav_or_null(path: PathBuf) -> Box<dyn AudioSink> {
    match WavSink::create(&path) {
        Ok(sink) => Box::new(sink),
        Err(e) => {
            tracing::error!(error = %e, "cannot record; discarding this audio");
            Box::new(NullSink::new())
        }
    }
}
