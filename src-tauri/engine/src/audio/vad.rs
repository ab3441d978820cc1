//! Voice activity detection and the talk gate: whether the microphone frame is sent, and whether
//! the user shows as speaking.
//!
//! Sans-IO: [`VoiceGate::process`] is given each captured frame and the time. A frame is voiced
//! when its RMS level is above both an absolute floor and an adaptive noise floor plus a margin.
//! The noise floor follows quieter audio at once and louder audio only slowly, so steady
//! background noise (a fan, hiss) stops counting as speech after a few seconds while speech,
//! which has pauses, keeps pulling the floor back down.

use std::time::{Duration, Instant};

use super::{SAMPLE_RATE, mixer};

/// Quietest level the noise floor can take, in dBFS (digital silence is below it).
const FLOOR_BOTTOM_DBFS: f32 = -100.0;
/// How fast the noise floor rises towards louder audio, in dB per second of audio.
const FLOOR_RISE_DB_PER_S: f32 = 3.0;

/// How the user's microphone reaches the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TalkMode {
    /// Sent while voice is detected.
    #[default]
    VoiceActivity,
    /// Sent while the push-to-talk key is held (plus a short tail).
    PushToTalk,
    /// Always sent; "speaking" still follows voice detection.
    Open,
}

/// Tuning of a [`VoiceGate`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VadConfig {
    /// How far above the noise floor a frame must be to be voiced, in dB.
    pub margin_db: f32,
    /// Frames quieter than this (dBFS of RMS) are never voiced, however quiet the room.
    pub absolute_floor_dbfs: f32,
    /// How long voice stays detected after the last voiced frame, bridging pauses between words.
    pub hangover: Duration,
    /// Consecutive voiced frames needed before voice is detected (at least 1).
    pub attack_frames: u32,
    /// How long push-to-talk keeps sending after the key is released, so the last word is not cut.
    pub ptt_tail: Duration,
}

impl Default for VadConfig {
    /// 12 dB above the noise floor and above -50 dBFS, 300 ms hangover, 1 frame attack, 100 ms
    /// push-to-talk tail.
    fn default() -> Self {
        Self {
            margin_db: 12.0,
            absolute_floor_dbfs: -50.0,
            hangover: Duration::from_millis(300),
            attack_frames: 1,
            ptt_tail: Duration::from_millis(100),
        }
    }
}

/// What to do with one captured frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GateDecision {
    /// Send this frame.
    pub transmit: bool,
    /// Show the user as speaking.
    pub speaking: bool,
    /// RMS level of the frame as a fraction of full scale, `0.0..=1.0`, for the input meter.
    pub level: f32,
}

/// Voice detector and talk gate for one microphone; see the [module docs](self).
#[derive(Debug, Clone)]
pub struct VoiceGate {
    config: VadConfig,
    /// Adaptive noise floor, dBFS.
    noise_floor_dbfs: f32,
    /// Consecutive voiced frames so far.
    voiced_run: u32,
    /// Voice counts as detected until this time (the hangover after the last voiced frame).
    voice_until: Option<Instant>,
    /// When the push-to-talk key was last seen held.
    ptt_last_held: Option<Instant>,
}

impl VoiceGate {
    /// A gate with no voice detected and the noise floor just under the absolute floor.
    pub fn new(config: VadConfig) -> Self {
        Self {
            config,
            noise_floor_dbfs: config.absolute_floor_dbfs - config.margin_db,
            voiced_run: 0,
            voice_until: None,
            ptt_last_held: None,
        }
    }

    /// Decides about `frame`, captured at `now` (mono 48 kHz; any length, usually 10 or 20 ms).
    ///
    /// Voice detection and the noise floor are updated in every mode, also while muted, so
    /// unmuting or switching modes starts from a settled floor.
    pub fn process(
        &mut self,
        now: Instant,
        frame: &[i16],
        mode: TalkMode,
        ptt_pressed: bool,
        self_muted: bool,
    ) -> GateDecision {
        let level = mixer::level(frame);
        let voice = self.detect(now, frame.len(), level);
        if ptt_pressed {
            self.ptt_last_held = Some(now);
        }
        let (transmit, speaking) = if self_muted {
            (false, false)
        } else {
            match mode {
                TalkMode::VoiceActivity => (voice, voice),
                TalkMode::PushToTalk => {
                    let held = self.ptt_last_held.is_some_and(|at| {
                        ptt_pressed || now.saturating_duration_since(at) < self.config.ptt_tail
                    });
                    (held, held)
                }
                TalkMode::Open => (true, voice),
            }
        };
        GateDecision {
            transmit,
            speaking,
            level,
        }
    }

    /// Current noise floor in dBFS.
    pub fn noise_floor_dbfs(&self) -> f32 {
        self.noise_floor_dbfs
    }

    /// Whether voice is detected at `now` (attack reached, or within the hangover).
    fn detect(&mut self, now: Instant, samples: usize, level: f32) -> bool {
        let level_db = to_dbfs(level);
        let threshold = self
            .config
            .absolute_floor_dbfs
            .max(self.noise_floor_dbfs + self.config.margin_db);
        if level_db > threshold {
            self.voiced_run = self.voiced_run.saturating_add(1);
            if self.voiced_run >= self.config.attack_frames.max(1) {
                self.voice_until = Some(now + self.config.hangover);
            }
        } else {
            self.voiced_run = 0;
        }
        self.update_floor(level_db, samples);
        self.voiced_run >= self.config.attack_frames.max(1)
            || self.voice_until.is_some_and(|until| now < until)
    }

    /// Falls to quieter audio at once; rises towards louder audio at a bounded rate.
    fn update_floor(&mut self, level_db: f32, samples: usize) {
        if level_db < self.noise_floor_dbfs {
            self.noise_floor_dbfs = level_db;
        } else {
            let seconds = samples as f32 / SAMPLE_RATE as f32;
            let rise = (level_db - self.noise_floor_dbfs).min(FLOOR_RISE_DB_PER_S * seconds);
            self.noise_floor_dbfs += rise;
        }
    }
}

/// `level` (fraction of full scale) in dBFS, never below [`FLOOR_BOTTOM_DBFS`].
fn to_dbfs(level: f32) -> f32 {
    if level > 0.0 {
        (20.0 * level.log10()).max(FLOOR_BOTTOM_DBFS)
    } else {
        FLOOR_BOTTOM_DBFS
    }
}

#[cfg(test)]
mod tests;
