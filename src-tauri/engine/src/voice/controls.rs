//! The engine's switches and meters, shared lock-free between the handle and its threads.

use std::sync::atomic::{AtomicBool, AtomicU8, AtomicU32, AtomicU64, Ordering};

use crate::audio::TalkMode;
use crate::audio::processing::{NoiseLevel, ProcessingConfig};

/// Switches set by the user, meters read by the UI.
#[derive(Debug, Default)]
pub struct Controls {
    pub self_muted: AtomicBool,
    /// Muted by a moderator (`MUTE_USER`): enforced here too, so it holds in P2P zones.
    pub server_muted: AtomicBool,
    pub deafened: AtomicBool,
    pub push_to_talk: AtomicBool,
    talk_mode: AtomicU8,
    /// [`ProcessingConfig`], packed: bit 0 echo cancellation, bit 1 gain control, bits 2-3 the
    /// noise level.
    processing: AtomicU8,
    /// Input level (RMS, fraction of full scale) as `f32` bits.
    input_level: AtomicU32,
    stop: AtomicBool,
    dropped_frames: AtomicU64,
}

impl Controls {
    pub fn new(mode: TalkMode, processing: ProcessingConfig) -> Self {
        let controls = Self::default();
        controls.set_talk_mode(mode);
        controls.set_processing(processing);
        controls
    }

    pub fn processing(&self) -> ProcessingConfig {
        let bits = self.processing.load(Ordering::Relaxed);
        ProcessingConfig {
            echo_cancel: bits & 1 != 0,
            auto_gain: bits & 2 != 0,
            noise: match bits >> 2 {
                1 => NoiseLevel::Standard,
                2 => NoiseLevel::Strong,
                _ => NoiseLevel::Off,
            },
        }
    }

    pub fn set_processing(&self, config: ProcessingConfig) {
        let noise = match config.noise {
            NoiseLevel::Off => 0,
            NoiseLevel::Standard => 1,
            NoiseLevel::Strong => 2,
        };
        let bits = u8::from(config.echo_cancel) | u8::from(config.auto_gain) << 1 | noise << 2;
        self.processing.store(bits, Ordering::Relaxed);
    }

    /// Whether nothing may be sent: muted by the user or by a moderator.
    pub fn muted(&self) -> bool {
        self.self_muted.load(Ordering::Relaxed) || self.server_muted.load(Ordering::Relaxed)
    }

    pub fn talk_mode(&self) -> TalkMode {
        match self.talk_mode.load(Ordering::Relaxed) {
            1 => TalkMode::PushToTalk,
            2 => TalkMode::Open,
            _ => TalkMode::VoiceActivity,
        }
    }

    pub fn set_talk_mode(&self, mode: TalkMode) {
        let code = match mode {
            TalkMode::VoiceActivity => 0,
            TalkMode::PushToTalk => 1,
            TalkMode::Open => 2,
        };
        self.talk_mode.store(code, Ordering::Relaxed);
    }

    pub fn input_level(&self) -> f32 {
        f32::from_bits(self.input_level.load(Ordering::Relaxed))
    }

    pub fn set_input_level(&self, level: f32) {
        self.input_level.store(level.to_bits(), Ordering::Relaxed);
    }

    pub fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    pub fn stop(&self) {
        self.stop.store(true, Ordering::Relaxed);
    }

    pub fn count_dropped_frame(&self) {
        self.dropped_frames.fetch_add(1, Ordering::Relaxed);
    }

    pub fn dropped_frames(&self) -> u64 {
        self.dropped_frames.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_processing_config_round_trips() {
        let controls = Controls::new(TalkMode::Open, ProcessingConfig::OFF);
        assert_eq!(controls.processing(), ProcessingConfig::OFF);
        for echo_cancel in [false, true] {
            for auto_gain in [false, true] {
                for noise in [NoiseLevel::Off, NoiseLevel::Standard, NoiseLevel::Strong] {
                    let config = ProcessingConfig {
                        echo_cancel,
                        noise,
                        auto_gain,
                    };
                    controls.set_processing(config);
                    assert_eq!(controls.processing(), config);
                }
            }
        }
    }
}
