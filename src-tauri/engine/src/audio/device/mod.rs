//! Real capture and playback devices, through cpal.
//!
//! [`DeviceInput`] is an [`AudioSource`](super::AudioSource) fed by a microphone and
//! [`DeviceOutput`] an [`AudioSink`](super::AudioSink) that plays to a speaker; both convert
//! between the device's own rate and channel count and the engine's mono 48 kHz `i16`.
//! [`list_devices`] tells the UI what there is to choose from.
//!
//! Each open device has a supervisor thread that owns the cpal stream (cpal streams are not
//! `Send` everywhere) and re-opens it when the device is lost. Audio crosses between the
//! real-time callback and the engine through a lock-free single-producer single-consumer ring;
//! the callbacks only copy samples and bump atomics, they never allocate, lock or log.

mod convert;
mod input;
mod list;
mod output;
#[cfg(target_os = "linux")]
mod pulse;
mod stream;
mod supervisor;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::Serialize;

pub use input::DeviceInput;
pub use list::{DeviceConfig, DeviceInfo, DeviceList, list_devices};
pub use output::DeviceOutput;

/// Why a device could not be listed or opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeviceError {
    /// No device of that name is known to the audio host.
    #[error("no audio device named {device:?}")]
    NotFound {
        /// The name that was asked for.
        device: String,
    },
    /// The device is known but could not be opened (no card behind it, busy, gone).
    #[error("audio device {device} is unavailable: {reason}")]
    Unavailable {
        /// The device's name.
        device: String,
        /// What the audio host reported.
        reason: String,
    },
    /// The device offers no format the engine can use (neither `i16` nor `f32` samples).
    #[error("audio device {device} has no usable format: {reason}")]
    Unsupported {
        /// The device's name.
        device: String,
        /// Which part of the format is missing.
        reason: String,
    },
    /// The audio host itself failed, for example while listing devices.
    #[error("audio host error: {reason}")]
    Host {
        /// What the audio host reported.
        reason: String,
    },
    /// The thread that owns the device stream could not be started.
    #[error("cannot start the audio device thread: {reason}")]
    Thread {
        /// What the OS reported.
        reason: String,
    },
}

/// Health of an open device, as the engine and the UI see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DeviceStatus {
    /// The stream runs and audio flows.
    Running,
    /// The stream died (an error from the host, or no callbacks for a while). Input yields
    /// silence and output discards until it is re-opened.
    Lost {
        /// What was seen.
        reason: String,
    },
    /// Re-opening has been tried and failed; it is retried about every second.
    Recovering,
}

/// Which stream format to ask for. By default the device's own channel count at 48 kHz if the
/// device takes it (no resampling), else the device's default rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamPreference {
    /// Sample rate to open the device at, if it supports it.
    pub sample_rate: Option<u32>,
    /// Channel count to open the device with, if it supports it.
    pub channels: Option<u16>,
}

/// A snapshot of an open device's counters, for tests and diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct DeviceCounters {
    /// Device frames (one sample per channel) moved by the stream callbacks.
    pub frames: u64,
    /// Output: callbacks that found less audio than they had to play and filled in silence.
    pub underruns: u64,
    /// Device samples dropped because a ring was full (input: the engine read too slowly;
    /// output: the engine wrote faster than the device plays).
    pub overruns: u64,
    /// Input: engine samples filled with silence because no audio came in time.
    pub silent_samples: u64,
    /// Times the stream was lost.
    pub losses: u64,
    /// Times the stream was opened again after a loss.
    pub reopens: u64,
}

/// The counters shared between the callbacks, the supervisor and the engine side.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) frames: AtomicU64,
    pub(crate) underruns: AtomicU64,
    pub(crate) overruns: AtomicU64,
    pub(crate) silent_samples: AtomicU64,
    pub(crate) losses: AtomicU64,
    pub(crate) reopens: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> DeviceCounters {
        DeviceCounters {
            frames: self.frames.load(Ordering::Relaxed),
            underruns: self.underruns.load(Ordering::Relaxed),
            overruns: self.overruns.load(Ordering::Relaxed),
            silent_samples: self.silent_samples.load(Ordering::Relaxed),
            losses: self.losses.load(Ordering::Relaxed),
            reopens: self.reopens.load(Ordering::Relaxed),
        }
    }
}

/// How often the supervisor looks at a running stream. cpal may report nothing at all when a
/// device goes away, so the stream is also judged by whether its callbacks still come.
pub(crate) const HEALTH_POLL: Duration = Duration::from_millis(500);

/// A stream whose callbacks stopped for this long counts as lost.
pub(crate) const STALL_AFTER: Duration = Duration::from_millis(1_000);

/// Pause between attempts to re-open a lost device.
pub(crate) const RETRY_EVERY: Duration = Duration::from_secs(1);

/// Ring capacity between callback and engine, in milliseconds of device audio.
pub(crate) const RING_MS: usize = 250;
