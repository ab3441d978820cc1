//! The voice engine: one user's audio, whatever the topology.
//!
//! - Send: a source (a device or a synthetic one) is read on a capture thread, gated (self mute,
//!   push-to-talk, voice activity), Opus-encoded once and written to every connection that
//!   carries this user's voice ([`fanout`]).
//! - Receive: packets of each remote user, on each path they arrive by (P2P, SFU), go to that
//!   user's [`remote::RemoteVoice`] (jitter buffer, Opus with FEC/PLC); a playout thread mixes the
//!   voices every 10 ms with per-user volume, local mute and proximity, into an output sink (a
//!   device or a recording).
//!
//! Real-time device callbacks stay inside [`crate::audio::device`]; the engine's own threads
//! never touch them directly.

pub mod args;
pub mod capture;
pub mod controls;
pub mod fanout;
pub mod playout;
pub mod remote;

#[cfg(test)]
mod echo_tests;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use serde::Serialize;
use tokio::sync::{mpsc, watch};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;

use crate::audio::processing::ProcessingConfig;
use crate::audio::{
    AudioSink, AudioSource, EncoderConfig, JitterConfig, JitterStats, TalkMode, VadConfig,
};
use capture::Capture;
use controls::Controls;
pub use fanout::OutputId;
use fanout::Outputs;
pub use playout::UserLevel;
use playout::{Mix, Playout, lock};
pub use remote::{Path, RemoteStatus};

/// Makes the sink that receives one remote user's decoded audio.
pub type SinkFactory = Arc<dyn Fn(i64) -> Box<dyn AudioSink> + Send + Sync>;

/// How the engine starts.
pub struct VoiceConfig {
    /// Where this user's voice comes from.
    pub source: Box<dyn AudioSource>,
    /// Where the mix of everyone else goes.
    pub output: Box<dyn AudioSink>,
    /// Optional per-user recordings of what each remote user sounded like (before gain).
    pub user_sinks: Option<SinkFactory>,
    pub encoder: EncoderConfig,
    pub talk_mode: TalkMode,
    /// Echo cancellation, noise suppression and gain control on the microphone.
    pub processing: ProcessingConfig,
    pub vad: VadConfig,
    pub jitter: JitterConfig,
    /// Fraction (0..1) of arriving packets to drop on purpose: loss-recovery tests.
    pub receive_loss: f64,
}

impl VoiceConfig {
    /// A config with the given source and output and the defaults for everything else.
    pub fn new(source: Box<dyn AudioSource>, output: Box<dyn AudioSink>) -> Self {
        Self {
            source,
            output,
            user_sinks: None,
            encoder: EncoderConfig {
                dtx: true,
                ..EncoderConfig::default()
            },
            talk_mode: TalkMode::VoiceActivity,
            processing: ProcessingConfig::default(),
            vad: VadConfig::default(),
            jitter: JitterConfig::default(),
            receive_loss: 0.0,
        }
    }
}

/// What the engine reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum VoiceEvent {
    /// A remote user started or stopped speaking (heard by this listener).
    Speaking { user_id: i64, speaking: bool },
}

struct Shared {
    controls: Arc<Controls>,
    mix: Arc<Mutex<Mix>>,
    outputs: Arc<Outputs>,
    speaking: watch::Receiver<bool>,
    threads: Mutex<Vec<std::thread::JoinHandle<()>>>,
}

/// Handle to a running voice engine; cheap to clone.
#[derive(Clone)]
pub struct VoiceEngine {
    shared: Arc<Shared>,
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot start the {what} thread: {source}")]
pub struct StartError {
    what: &'static str,
    #[source]
    source: std::io::Error,
}

impl VoiceEngine {
    /// Starts the capture and playout threads and the fan-out task (needs a Tokio runtime).
    pub fn start(config: VoiceConfig) -> Result<(Self, mpsc::Receiver<VoiceEvent>), StartError> {
        let controls = Arc::new(Controls::new(config.talk_mode, config.processing));
        // Up to a second of played audio waits for the capture thread's echo canceller.
        let (far_end_tx, far_end_rx) = rtrb::RingBuffer::new(crate::audio::SAMPLE_RATE as usize);
        let mix = Arc::new(Mutex::new(Mix::new(config.jitter, config.receive_loss)));
        let outputs = Arc::new(Outputs::default());
        let (frames_tx, frames_rx) = mpsc::channel(64);
        let (speaking_tx, speaking_rx) = watch::channel(false);
        let (events_tx, events_rx) = mpsc::channel(1024);
        tokio::spawn(fanout::run(outputs.clone(), frames_rx));
        let capture = Capture {
            source: config.source,
            encoder: config.encoder,
            vad: config.vad,
            controls: controls.clone(),
            frames: frames_tx,
            speaking: speaking_tx,
            far_end: far_end_rx,
        };
        let playout = Playout {
            mix: mix.clone(),
            controls: controls.clone(),
            output: config.output,
            far_end: far_end_tx,
            user_sinks: config.user_sinks,
            events: events_tx,
        };
        let spawn = |what: &'static str, f: Box<dyn FnOnce() + Send>| {
            std::thread::Builder::new()
                .name(format!("hearth-{what}"))
                .spawn(f)
                .map_err(|source| StartError { what, source })
        };
        let threads = vec![
            spawn("capture", Box::new(move || capture.run()))?,
            spawn("playout", Box::new(move || playout.run()))?,
        ];
        let shared = Arc::new(Shared {
            controls,
            mix,
            outputs,
            speaking: speaking_rx,
            threads: Mutex::new(threads),
        });
        Ok((Self { shared }, events_rx))
    }

    /// Sends this user's voice to `track` too (its encoding uses `ssrc`).
    pub fn add_output(&self, track: Arc<TrackLocalStaticRTP>, ssrc: u32) -> OutputId {
        self.shared.outputs.add(track, ssrc)
    }

    /// Stops sending to an output.
    pub fn remove_output(&self, id: OutputId) {
        self.shared.outputs.remove(id);
    }

    /// A packet of `user`'s voice arrived on `path`.
    pub fn push_packet(&self, user: i64, path: Path, seq: u16, timestamp: u32, payload: &[u8]) {
        lock(&self.shared.mix).push(Instant::now(), user, path, seq, timestamp, payload);
    }

    /// `user`'s track on `path` ended.
    pub fn end_stream(&self, user: i64, path: Path) {
        lock(&self.shared.mix).end(user, path);
    }

    /// Whether `user`'s voice is playing from `path`.
    pub fn is_playing(&self, user: i64, path: Path) -> bool {
        lock(&self.shared.mix).is_playing(user, path)
    }

    /// Jitter statistics of `user` on `path`.
    pub fn jitter_stats(&self, user: i64, path: Path) -> Option<JitterStats> {
        lock(&self.shared.mix)
            .voice(user)
            .and_then(|v| v.stats(path))
    }

    /// Which path each remote user is heard by.
    pub fn remote_status(&self) -> BTreeMap<i64, RemoteStatus> {
        lock(&self.shared.mix).status()
    }

    /// Whether this user is speaking (drives the SFU's speaking events).
    pub fn speaking(&self) -> watch::Receiver<bool> {
        self.shared.speaking.clone()
    }

    pub fn set_self_muted(&self, muted: bool) {
        store(&self.shared.controls.self_muted, muted);
    }

    pub fn self_muted(&self) -> bool {
        self.shared
            .controls
            .self_muted
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Muted by a moderator: nothing is sent until lifted.
    pub fn set_server_muted(&self, muted: bool) {
        store(&self.shared.controls.server_muted, muted);
    }

    /// Deafened: nothing is played (and, as users expect, the microphone is muted too by the
    /// caller if it wishes).
    pub fn set_deafened(&self, deafened: bool) {
        store(&self.shared.controls.deafened, deafened);
    }

    pub fn set_talk_mode(&self, mode: TalkMode) {
        self.shared.controls.set_talk_mode(mode);
    }

    /// Switches echo cancellation, noise suppression and gain control (from the next frame).
    pub fn set_processing(&self, config: ProcessingConfig) {
        self.shared.controls.set_processing(config);
    }

    pub fn processing(&self) -> ProcessingConfig {
        self.shared.controls.processing()
    }

    /// The push-to-talk key went down or up.
    pub fn set_push_to_talk(&self, pressed: bool) {
        store(&self.shared.controls.push_to_talk, pressed);
    }

    /// Volume of `user` for this listener: 0.0..=2.0, 1.0 unchanged.
    pub fn set_user_volume(&self, user: i64, volume: f32) {
        lock(&self.shared.mix).gain_mut(user).volume = volume.clamp(0.0, 2.0);
    }

    /// Mutes `user` for this listener only.
    pub fn set_user_muted(&self, user: i64, muted: bool) {
        lock(&self.shared.mix).gain_mut(user).locally_muted = muted;
    }

    /// Proximity gain of `user` (0..1), from the distance in an open area.
    pub fn set_proximity(&self, user: i64, gain: f32) {
        lock(&self.shared.mix).gain_mut(user).proximity = gain.clamp(0.0, 1.0);
    }

    /// The gain `user` is heard with.
    pub fn user_gain(&self, user: i64) -> crate::audio::UserGain {
        lock(&self.shared.mix).gain(user)
    }

    /// Input level of the microphone (RMS of full scale).
    pub fn input_level(&self) -> f32 {
        self.shared.controls.input_level()
    }

    /// Level and speaking state of every remote user heard.
    pub fn user_levels(&self) -> BTreeMap<i64, UserLevel> {
        lock(&self.shared.mix).levels()
    }

    /// Number of connections this user's voice currently goes to.
    pub fn output_count(&self) -> usize {
        self.shared.outputs.len()
    }

    /// Encoded frames dropped because the network side fell behind.
    pub fn dropped_frames(&self) -> u64 {
        self.shared.controls.dropped_frames()
    }

    /// Stops the threads and finishes the sinks (a WAV recording is complete afterwards).
    pub async fn shutdown(&self) {
        self.shared.controls.stop();
        let threads: Vec<_> = std::mem::take(
            &mut *self
                .shared
                .threads
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        let _ = tokio::task::spawn_blocking(move || {
            for t in threads {
                let _ = t.join();
            }
        })
        .await;
    }
}

fn store(flag: &std::sync::atomic::AtomicBool, value: bool) {
    flag.store(value, std::sync::atomic::Ordering::Relaxed);
}
