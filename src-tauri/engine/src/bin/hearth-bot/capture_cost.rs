//! `hearth-bot latency --capture-cost`: what the send side of the engine costs per 10 ms of
//! audio: the microphone cleaned (echo cancellation against a far end, noise suppression, gain
//! control), the voice gate and the Opus encoder, as fast as the CPU allows, for each processing
//! setting, with talk and with digital silence (where denormal floats could slow the filters).

use std::time::{Duration, Instant};

use hearth_engine::audio::processing::{
    ApmProcessor, NoiseLevel, PROCESSING_FRAME, ProcessingConfig, VoiceProcessor,
};
use hearth_engine::audio::{
    AudioSource, EncoderConfig, MAX_PACKET_BYTES, OpusEncoder, SineSource, TalkMode, VadConfig,
    VoiceGate,
};

use crate::mix_cost::thread_cpu;

/// Seconds of audio simulated per setting.
const SECONDS: usize = 20;
const FRAME: usize = 960;
/// The echo's delay in the simulated room, in samples (40 ms).
const ECHO_DELAY: usize = 1920;

pub fn run() -> anyhow::Result<()> {
    let settings = [
        ("off", ProcessingConfig::OFF),
        ("default", ProcessingConfig::default()),
        (
            "strong_noise_suppression",
            ProcessingConfig {
                noise: NoiseLevel::Strong,
                ..ProcessingConfig::default()
            },
        ),
    ];
    for (name, config) in settings {
        for talk in [true, false] {
            let us = frame_cost(config, talk)?;
            let report = serde_json::json!({
                "processing": name,
                "audio": if talk { "talk_with_echo" } else { "digital_silence" },
                "audio_seconds": SECONDS,
                "us_per_10ms": (us * 10.0).round() / 10.0,
                "core_pct": (us / 10_000.0 * 100.0 * 100.0).round() / 100.0,
            });
            println!("{report}");
        }
    }
    Ok(())
}

/// CPU time per 10 ms of audio of processing, gate and encoder, in microseconds.
fn frame_cost(config: ProcessingConfig, talk: bool) -> anyhow::Result<f64> {
    let mut far_voice = SineSource::new(220.0, 0.3);
    let mut near_voice = SineSource::new(330.0, 0.2);
    let mut processor = ApmProcessor::new(config);
    let mut gate = VoiceGate::new(VadConfig::default());
    let mut encoder = OpusEncoder::new(EncoderConfig {
        dtx: true,
        ..EncoderConfig::default()
    })?;
    let mut far = vec![0i16; FRAME];
    let mut near = vec![0i16; FRAME];
    let mut played = vec![0i16; ECHO_DELAY + FRAME];
    let mut packet = vec![0u8; MAX_PACKET_BYTES];
    let frames = SECONDS * 50;
    let t0 = Instant::now();
    let cpu0 = thread_cpu();
    for f in 0..frames {
        if talk {
            // The far end talks half the time, the near end the other half.
            far_voice.read(&mut far);
            near_voice.read(&mut near);
            if (f / 50) % 2 == 0 {
                near.fill(0);
            } else {
                far.fill(0);
            }
        }
        played.copy_within(FRAME.., 0);
        played[ECHO_DELAY..].copy_from_slice(&far);
        for (mic, echo) in near.iter_mut().zip(&played[..FRAME]) {
            *mic = mic.saturating_add(echo / 3);
        }
        for chunk in far.chunks_exact(PROCESSING_FRAME) {
            processor.render(chunk);
        }
        processor.capture(&mut near);
        let now = t0 + Duration::from_millis(20 * f as u64);
        let decision = gate.process(now, &near, TalkMode::Open, false, false);
        if decision.transmit {
            encoder.encode(&near, &mut packet)?;
        }
    }
    let cpu = thread_cpu().saturating_sub(cpu0);
    Ok(cpu.as_secs_f64() * 1e6 / (frames * 2) as f64)
}
