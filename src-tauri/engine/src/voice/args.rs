//! The audio options every talking command shares (`hearth-bot`, the `hearth` app): what to send (`--tone`, `--wav`, silence)
//! and where to record what is heard (`--record DIR`).

use std::path::PathBuf;
use std::sync::Arc;

use super::{SinkFactory, VoiceConfig};
use crate::audio::device::{DeviceInput, DeviceOutput};
use crate::audio::processing::{NoiseLevel, ProcessingConfig};
use crate::audio::{
    AudioSink, AudioSource, EncoderConfig, FrameDuration, NullSink, SilenceSource, SineSource,
    TalkMode, WavSink, WavSource,
};
use anyhow::Context;
use clap::{Args, ValueEnum};

/// `on` or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Switch {
    On,
    Off,
}

/// `--noise-suppress`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NoiseArg {
    Off,
    Standard,
    Strong,
}

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
    /// Cancel the echo of what the speakers play in the microphone [default: on].
    #[arg(long, value_enum)]
    pub echo_cancel: Option<Switch>,
    /// Suppress steady noise (fans, hum) in the microphone [default: standard; off with
    /// `--tone`, whose steady sound is exactly what a suppressor removes].
    #[arg(long, value_enum)]
    pub noise_suppress: Option<NoiseArg>,
    /// Level the microphone automatically [default: on; off with `--tone`].
    #[arg(long, value_enum)]
    pub auto_gain: Option<Switch>,
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

    /// Echo cancellation, noise suppression and gain control, as the flags say.
    pub fn processing(&self) -> ProcessingConfig {
        let tone = self.tone.is_some();
        let noise = self.noise_suppress.unwrap_or(if tone {
            NoiseArg::Off
        } else {
            NoiseArg::Standard
        });
        ProcessingConfig {
            echo_cancel: self.echo_cancel != Some(Switch::Off),
            noise: match noise {
                NoiseArg::Off => NoiseLevel::Off,
                NoiseArg::Standard => NoiseLevel::Standard,
                NoiseArg::Strong => NoiseLevel::Strong,
            },
            auto_gain: self.auto_gain.map_or(!tone, |switch| switch == Switch::On),
        }
    }

    /// Whether any processing flag was given (the app then saves them in its settings).
    pub fn processing_given(&self) -> bool {
        self.echo_cancel.is_some() || self.noise_suppress.is_some() || self.auto_gain.is_some()
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
        config.processing = self.processing();
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

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        voice: VoiceArgs,
    }

    fn processing(args: &[&str]) -> ProcessingConfig {
        let cli = Cli::try_parse_from(std::iter::once("hearth-bot").chain(args.iter().copied()))
            .expect("parses");
        cli.voice.processing()
    }

    #[test]
    fn processing_is_on_by_default_and_each_flag_switches_its_part() {
        assert_eq!(processing(&[]), ProcessingConfig::default());
        assert_eq!(
            processing(&[
                "--echo-cancel",
                "off",
                "--noise-suppress",
                "strong",
                "--auto-gain",
                "off"
            ]),
            ProcessingConfig {
                echo_cancel: false,
                noise: NoiseLevel::Strong,
                auto_gain: false,
            }
        );
        // A tone keeps its level and is not taken for noise, unless asked.
        let tone = processing(&["--tone", "440"]);
        assert_eq!(
            (tone.echo_cancel, tone.noise, tone.auto_gain),
            (true, NoiseLevel::Off, false)
        );
        let asked = processing(&[
            "--tone",
            "440",
            "--noise-suppress",
            "standard",
            "--auto-gain",
            "on",
        ]);
        assert_eq!(asked, ProcessingConfig::default());
        assert!(Cli::try_parse_from(["hearth-bot", "--echo-cancel", "maybe"]).is_err());
    }
}
