//! The playout thread: every 10 ms each remote voice plays its next chunk, which is metered,
//! recorded per user when asked, scaled by that user's gain and mixed into the output.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rand::Rng;
use tokio::sync::mpsc;

use super::controls::Controls;
use super::remote::{Path, RemoteStatus, RemoteVoice};
use super::{SinkFactory, VoiceEvent};
use crate::audio::{AudioSink, JitterConfig, Mixer, UserGain, level};

/// Audio played per tick: 10 ms at 48 kHz.
pub const CHUNK: usize = 480;
const TICK: Duration = Duration::from_millis(10);
/// Audio kept queued for a device that reports what it has queued: enough to ride out the
/// device's own period and a late wakeup, little enough to add no delay worth hearing. Without
/// it the playout clock and the device's drift apart, the queue runs full (250 ms behind) or
/// dry, and each drop or underrun moves the echo path under the echo canceller's feet.
const DEVICE_LEAD: Duration = Duration::from_millis(40);
/// How often to look at a device's queue while it is above [`DEVICE_LEAD`].
const DEVICE_POLL: Duration = Duration::from_millis(2);
/// Level (RMS of full scale) above which a remote user counts as speaking.
const SPEAKING_LEVEL: f32 = 0.01;
/// How long a remote user stays "speaking" after their last loud chunk.
const SPEAKING_HOLD: Duration = Duration::from_millis(300);

/// What one remote user sounds like to this listener.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct UserLevel {
    /// Level of the user's voice before the listener's gain (RMS of full scale).
    pub level: f32,
    /// Whether the user is speaking.
    pub speaking: bool,
}

/// The remote voices and how each is heard; shared between packet arrival and the playout
/// thread.
pub struct Mix {
    jitter: JitterConfig,
    voices: BTreeMap<i64, RemoteVoice>,
    gains: BTreeMap<i64, UserGain>,
    levels: BTreeMap<i64, UserLevel>,
    loud_until: BTreeMap<i64, Instant>,
    /// Fraction of arriving packets dropped on purpose (tests of loss recovery).
    receive_loss: f64,
}

impl Mix {
    pub fn new(jitter: JitterConfig, receive_loss: f64) -> Self {
        Self {
            jitter,
            voices: BTreeMap::new(),
            gains: BTreeMap::new(),
            levels: BTreeMap::new(),
            loud_until: BTreeMap::new(),
            receive_loss,
        }
    }

    pub fn push(&mut self, now: Instant, user: i64, path: Path, seq: u16, ts: u32, payload: &[u8]) {
        if self.receive_loss > 0.0 && rand::rng().random_bool(self.receive_loss.min(1.0)) {
            return;
        }
        let jitter = self.jitter;
        self.voices
            .entry(user)
            .or_insert_with(|| RemoteVoice::new(jitter))
            .push(now, path, seq, ts, payload);
    }

    pub fn end(&mut self, user: i64, path: Path) {
        if let Some(voice) = self.voices.get_mut(&user) {
            voice.end(path);
        }
    }

    pub fn is_playing(&self, user: i64, path: Path) -> bool {
        self.voices.get(&user).is_some_and(|v| v.is_playing(path))
    }

    pub fn gain_mut(&mut self, user: i64) -> &mut UserGain {
        self.gains.entry(user).or_default()
    }

    pub fn gain(&self, user: i64) -> UserGain {
        self.gains.get(&user).copied().unwrap_or_default()
    }

    pub fn levels(&self) -> BTreeMap<i64, UserLevel> {
        self.levels.clone()
    }

    pub fn status(&self) -> BTreeMap<i64, RemoteStatus> {
        self.voices.iter().map(|(u, v)| (*u, v.status())).collect()
    }

    pub fn voice(&self, user: i64) -> Option<&RemoteVoice> {
        self.voices.get(&user)
    }
}

/// Everything the playout thread needs.
pub struct Playout {
    pub mix: Arc<Mutex<Mix>>,
    pub controls: Arc<Controls>,
    pub output: Box<dyn AudioSink>,
    /// Everything written to `output` goes here too, for the capture thread's echo canceller.
    pub far_end: rtrb::Producer<i16>,
    pub user_sinks: Option<SinkFactory>,
    pub events: mpsc::Sender<VoiceEvent>,
}

impl Playout {
    /// Runs until `controls` says stop, then finishes the sinks. Call on a dedicated thread.
    pub fn run(mut self) {
        let mut mixer = Mixer::new(CHUNK);
        let mut chunk = [0i16; CHUNK];
        let mut out = [0i16; CHUNK];
        let mut sinks: BTreeMap<i64, Box<dyn AudioSink>> = BTreeMap::new();
        let mut next = Instant::now();
        while !self.controls.stopped() {
            if let Some(queued) = self.output.queued() {
                // The device's clock paces playout.
                if queued > DEVICE_LEAD {
                    std::thread::sleep((queued - DEVICE_LEAD).min(DEVICE_POLL));
                    continue;
                }
                next = Instant::now();
            } else {
                next += TICK;
                let now = Instant::now();
                if next > now {
                    std::thread::sleep(next - now);
                } else if now - next > TICK * 10 {
                    next = now;
                }
            }
            let now = Instant::now();
            mixer.clear();
            let mut changes = Vec::new();
            {
                let mut mix = lock(&self.mix);
                let Mix {
                    voices,
                    gains,
                    levels,
                    loud_until,
                    ..
                } = &mut *mix;
                for (user, voice) in voices.iter_mut() {
                    let audible = voice.play(now, &mut chunk);
                    let level = if audible { level(&chunk) } else { 0.0 };
                    if level > SPEAKING_LEVEL {
                        loud_until.insert(*user, now + SPEAKING_HOLD);
                    }
                    let speaking = loud_until.get(user).is_some_and(|t| *t > now);
                    let entry = levels.entry(*user).or_default();
                    if entry.speaking != speaking {
                        changes.push((*user, speaking));
                    }
                    *entry = UserLevel { level, speaking };
                    let gain = gains.get(user).copied().unwrap_or_default();
                    mixer.add(&chunk, gain.effective());
                    if let Some(factory) = &self.user_sinks {
                        sinks
                            .entry(*user)
                            .or_insert_with(|| factory(*user))
                            .write(&chunk);
                    }
                }
                let gone: Vec<i64> = voices
                    .iter()
                    .filter(|(_, v)| v.is_gone())
                    .map(|(u, _)| *u)
                    .collect();
                for user in gone {
                    voices.remove(&user);
                    if levels.remove(&user).is_some_and(|l| l.speaking) {
                        changes.push((user, false));
                    }
                    loud_until.remove(&user);
                }
            }
            for (user_id, speaking) in changes {
                let _ = self
                    .events
                    .try_send(VoiceEvent::Speaking { user_id, speaking });
            }
            mixer.output(&mut out);
            if self
                .controls
                .deafened
                .load(std::sync::atomic::Ordering::Relaxed)
            {
                out.fill(0);
            }
            self.output.write(&out);
            // A full ring means the capture thread is not running: the reference is not needed.
            if let Ok(mut chunk) = self.far_end.write_chunk(out.len()) {
                let (a, b) = chunk.as_mut_slices();
                let split = a.len();
                a.copy_from_slice(&out[..split]);
                b.copy_from_slice(&out[split..]);
                chunk.commit_all();
            }
        }
        if let Err(e) = self.output.finish() {
            tracing::warn!(error = %e, "finishing the audio output failed");
        }
        for (user, mut sink) in sinks {
            if let Err(e) = sink.finish() {
                tracing::warn!(user, error = %e, "finishing a user's recording failed");
            }
        }
    }
}

pub fn lock(mix: &Mutex<Mix>) -> MutexGuard<'_, Mix> {
    mix.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};

    use super::*;
    use crate::audio::SilenceSource;
    use crate::voice::{VoiceConfig, VoiceEngine};

    /// A speaker playing 48 samples a millisecond by the wall clock from whatever is queued.
    struct Speaker {
        started: Instant,
        written: u64,
        /// Most audio ever queued right after a write, in microseconds.
        most_queued: Arc<AtomicU64>,
    }

    impl Speaker {
        fn queued_now(&self) -> Duration {
            let played = self.started.elapsed().as_micros() as u64 * 48 / 1_000;
            Duration::from_micros(self.written.saturating_sub(played) * 1_000 / 48)
        }
    }

    impl AudioSink for Speaker {
        fn write(&mut self, samples: &[i16]) {
            self.written += samples.len() as u64;
            let queued = self.queued_now().as_micros() as u64;
            self.most_queued.fetch_max(queued, Ordering::Relaxed);
        }

        fn queued(&self) -> Option<Duration> {
            Some(self.queued_now())
        }
    }

    #[tokio::test]
    async fn a_device_that_reports_its_queue_paces_playout_with_a_short_lead() {
        let most_queued = Arc::new(AtomicU64::new(0));
        let speaker = Speaker {
            started: Instant::now(),
            written: 0,
            most_queued: most_queued.clone(),
        };
        let config = VoiceConfig::new(Box::new(SilenceSource::new()), Box::new(speaker));
        let (engine, _events) = VoiceEngine::start(config).expect("starts");
        tokio::time::sleep(Duration::from_millis(400)).await;
        engine.shutdown().await;
        // A chunk is written only while at most the lead is queued: never more than one
        // chunk past it, however fast or slow this machine runs (by its own clock, playout
        // would have run up to 250 ms ahead of a slow device).
        let most = Duration::from_micros(most_queued.load(Ordering::Relaxed));
        assert!(
            most <= DEVICE_LEAD + TICK,
            "at most {DEVICE_LEAD:?} + one chunk queued, saw {most:?}"
        );
        assert!(most >= DEVICE_LEAD, "it keeps the lead filled: {most:?}");
    }
}
