//! The echo canceller inside the running engine: what the playout thread sends to the speakers
//! reaches the capture thread as its reference, so the echo of a remote voice is taken out of
//! this user's microphone (the input meter shows the level after processing).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::{Path, VoiceConfig, VoiceEngine};
use crate::audio::processing::{NoiseLevel, ProcessingConfig};
use crate::audio::{
    AudioSink, AudioSource, EncoderConfig, OpusEncoder, SAMPLES_PER_MS, SineSource, TalkMode,
};

type Air = Arc<Mutex<VecDeque<i16>>>;

/// The speakers: what is played goes into the room.
struct Speakers(Air);

impl AudioSink for Speakers {
    fn write(&mut self, samples: &[i16]) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(samples);
    }
}

/// The microphone: hears the speakers at half their level (silence when the room is behind).
struct Microphone(Air);

impl AudioSource for Microphone {
    fn read(&mut self, frame: &mut [i16]) -> bool {
        let mut air = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        for sample in frame.iter_mut() {
            *sample = air.pop_front().unwrap_or(0) / 2;
        }
        true
    }
}

/// Mean input level (power) while a remote voice plays into a room with a 40 ms echo path.
async fn echo_level(processing: ProcessingConfig) -> f64 {
    let air: Air = Arc::new(Mutex::new(
        std::iter::repeat_n(0, 40 * SAMPLES_PER_MS).collect(),
    ));
    let mut config = VoiceConfig::new(Box::new(Microphone(air.clone())), Box::new(Speakers(air)));
    config.talk_mode = TalkMode::Open;
    config.processing = processing;
    let (engine, _events) = VoiceEngine::start(config).expect("starts");
    let mut encoder = OpusEncoder::new(EncoderConfig::default()).expect("encoder");
    let mut voice = SineSource::new(330.0, 0.3);
    let mut pcm = vec![0i16; 960];
    let mut packet = vec![0u8; 1500];
    let (mut sum, mut samples) = (0.0, 0);
    let mut tick = tokio::time::interval(Duration::from_millis(20));
    for frame in 0u16..200 {
        tick.tick().await;
        voice.read(&mut pcm);
        let len = encoder.encode(&pcm, &mut packet).expect("encodes");
        engine.push_packet(7, Path::Sfu, frame, u32::from(frame) * 960, &packet[..len]);
        if frame >= 125 {
            sum += f64::from(engine.input_level()).powi(2);
            samples += 1;
        }
    }
    engine.shutdown().await;
    sum / f64::from(samples)
}

#[tokio::test]
async fn the_echo_of_a_remote_voice_is_cancelled_in_the_microphone() {
    let heard = echo_level(ProcessingConfig::OFF).await;
    let cancelled = echo_level(ProcessingConfig {
        echo_cancel: true,
        noise: NoiseLevel::Off,
        auto_gain: false,
    })
    .await;
    let reduction = 10.0 * (heard / cancelled.max(1e-12)).log10();
    println!("echo in the input meter: {reduction:.1} dB lower with cancellation");
    assert!(
        heard.sqrt() > 0.02,
        "without cancellation the echo is heard: {heard}"
    );
    assert!(reduction >= 20.0, "{reduction:.1} dB");
}
