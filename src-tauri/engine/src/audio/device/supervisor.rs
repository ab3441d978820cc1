//! The thread that owns a device's cpal stream, watches it and re-opens it when it is lost.
//!
//! cpal streams are `!Send` on some platforms, so the stream is built, played and dropped on
//! this one thread. Each (re)opened stream comes with a fresh ring; its engine end is handed to
//! the [`Supervisor`]'s owner through a channel, so the engine never waits for a device to open.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use cpal::{SampleFormat, StreamConfig};

use super::list::{Direction, choose_config, device_name, find_device};
use super::stream::{DeviceStream, StreamHealth};
use super::{
    Counters, DeviceCounters, DeviceError, DeviceStatus, HEALTH_POLL, RETRY_EVERY, STALL_AFTER,
    StreamPreference,
};

/// How long [`Supervisor::start`] waits for the first stream before giving up.
const FIRST_OPEN_TIMEOUT: Duration = Duration::from_secs(10);

/// A new stream may take this long to get going before it counts as stalled: its first callback
/// may only fill the initial buffer, and a sound server can take well over a second to start
/// playing it (PulseAudio's null sink renders in blocks of up to two seconds while idle).
const START_GRACE: Duration = Duration::from_secs(3);

/// Builds a stream (not yet playing) for a device and returns it with the engine's ring end.
pub(crate) type BuildStream<E> = fn(
    &cpal::Device,
    &StreamConfig,
    SampleFormat,
    &Arc<Counters>,
    &Arc<StreamHealth>,
) -> Result<(DeviceStream, E), cpal::Error>;

/// A freshly opened stream's engine end.
pub(crate) struct Attached<E> {
    /// The engine's end of the stream's ring, in device samples.
    pub(crate) ring: E,
    /// Device frames per second.
    pub(crate) sample_rate: u32,
    /// Device channels.
    pub(crate) channels: u16,
}

/// What the supervisor thread and its owner share.
#[derive(Debug)]
struct Shared {
    stop: AtomicBool,
    status: Mutex<DeviceStatus>,
    device: Mutex<String>,
}

/// What to open, kept for re-opening.
struct Target<E> {
    name: Option<String>,
    direction: Direction,
    preference: StreamPreference,
    build: BuildStream<E>,
}

/// Owner's handle on a supervisor thread. Dropping it stops the thread and closes the device.
pub(crate) struct Supervisor<E> {
    shared: Arc<Shared>,
    counters: Arc<Counters>,
    attached: Receiver<Attached<E>>,
    thread: Option<JoinHandle<()>>,
}

impl<E: Send + 'static> Supervisor<E> {
    /// Starts the thread and waits until it has opened the device once.
    ///
    /// # Errors
    /// Why the device could not be opened the first time ([`DeviceError`]); no thread is left
    /// running then.
    pub(crate) fn start(
        name: Option<String>,
        direction: Direction,
        preference: StreamPreference,
        build: BuildStream<E>,
    ) -> Result<Self, DeviceError> {
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            status: Mutex::new(DeviceStatus::Recovering),
            device: Mutex::new(name.clone().unwrap_or_default()),
        });
        let counters = Arc::new(Counters::default());
        let (attach_tx, attached) = mpsc::sync_channel(4);
        let (first_tx, first_rx) = mpsc::sync_channel(1);
        let target = Target {
            name: name.clone(),
            direction,
            preference,
            build,
        };
        let thread = {
            let (shared, counters) = (shared.clone(), counters.clone());
            std::thread::Builder::new()
                .name(format!("audio-{direction:?}").to_lowercase())
                .spawn(move || supervise(&target, &shared, &counters, &attach_tx, first_tx))
                .map_err(|e| DeviceError::Thread {
                    reason: e.to_string(),
                })?
        };
        let device = name.unwrap_or_else(|| "(default)".to_owned());
        match first_rx.recv_timeout(FIRST_OPEN_TIMEOUT) {
            Ok(Ok(())) => Ok(Self {
                shared,
                counters,
                attached,
                thread: Some(thread),
            }),
            Ok(Err(e)) => {
                let _ = thread.join();
                Err(e)
            }
            Err(_) => {
                shared.stop.store(true, Ordering::Release);
                thread.thread().unpark();
                Err(DeviceError::Unavailable {
                    device,
                    reason: format!("did not open within {FIRST_OPEN_TIMEOUT:?}"),
                })
            }
        }
    }
}

impl<E> Supervisor<E> {
    /// The newest stream's engine end, if a stream was (re)opened since the last call.
    pub(crate) fn take_attached(&self) -> Option<Attached<E>> {
        self.attached.try_iter().last()
    }

    /// Swaps a freshly opened stream into `stream`, with the converter `convert` makes for its
    /// format; a format that cannot be converted leaves no stream (logged).
    pub(crate) fn attach_into<C, X: std::fmt::Display>(
        &self,
        stream: &mut Option<(E, C)>,
        convert: impl FnOnce(u32, u16) -> Result<C, X>,
    ) {
        if let Some(Attached {
            ring,
            sample_rate,
            channels,
        }) = self.take_attached()
        {
            *stream = match convert(sample_rate, channels) {
                Ok(converter) => Some((ring, converter)),
                Err(e) => {
                    tracing::warn!(error = %e, sample_rate, channels, "cannot convert this device format");
                    None
                }
            };
        }
    }

    /// Current health of the device.
    pub(crate) fn status(&self) -> DeviceStatus {
        self.shared
            .status
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Name of the device in use (the default device's after a fallback).
    pub(crate) fn device(&self) -> String {
        self.shared
            .device
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The shared counters, for the engine side to add its own.
    pub(crate) fn counters(&self) -> &Counters {
        &self.counters
    }

    /// A snapshot of the counters.
    pub(crate) fn snapshot(&self) -> DeviceCounters {
        self.counters.snapshot()
    }
}

impl<E> Drop for Supervisor<E> {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

fn set_status(shared: &Shared, status: DeviceStatus) {
    *shared.status.lock().unwrap_or_else(PoisonError::into_inner) = status;
}

/// The supervisor thread: open, watch, and after a loss re-open every [`RETRY_EVERY`] until
/// stopped.
fn supervise<E>(
    target: &Target<E>,
    shared: &Shared,
    counters: &Arc<Counters>,
    attach: &SyncSender<Attached<E>>,
    first: SyncSender<Result<(), DeviceError>>,
) {
    let mut first = Some(first);
    while !shared.stop.load(Ordering::Acquire) {
        match open(target, counters) {
            Ok((stream, health, attached, device)) => {
                *shared.device.lock().unwrap_or_else(PoisonError::into_inner) = device;
                if attach.send(attached).is_err() {
                    return;
                }
                set_status(shared, DeviceStatus::Running);
                match first.take() {
                    Some(first) => {
                        let _ = first.send(Ok(()));
                    }
                    None => {
                        counters.reopens.fetch_add(1, Ordering::Relaxed);
                    }
                }
                let lost = watch(shared, &health);
                drop(stream);
                let Some(reason) = lost else { return };
                tracing::warn!(direction = ?target.direction, %reason, "audio device lost");
                counters.losses.fetch_add(1, Ordering::Relaxed);
                set_status(shared, DeviceStatus::Lost { reason });
            }
            Err(e) => {
                if let Some(first) = first.take() {
                    let _ = first.send(Err(e));
                    return;
                }
                tracing::debug!(error = %e, "audio device not back yet");
                set_status(shared, DeviceStatus::Recovering);
            }
        }
        let retry_at = Instant::now() + RETRY_EVERY;
        while !shared.stop.load(Ordering::Acquire) {
            let Some(left) = retry_at.checked_duration_since(Instant::now()) else {
                break;
            };
            std::thread::park_timeout(left);
        }
    }
}

/// Opens the target device, or the default device when the named one is gone.
fn open<E>(
    target: &Target<E>,
    counters: &Arc<Counters>,
) -> Result<(DeviceStream, Arc<StreamHealth>, Attached<E>, String), DeviceError> {
    let device = match find_device(target.name.as_deref(), target.direction) {
        Err(DeviceError::NotFound { .. })
            if target.name.is_some() && counters_started(counters) =>
        {
            find_device(None, target.direction)?
        }
        other => other?,
    };
    let name = device_name(&device);
    let (config, format) = choose_config(&device, target.direction, target.preference)?;
    let health = Arc::new(StreamHealth::default());
    let unavailable = |e: cpal::Error| DeviceError::Unavailable {
        device: name.clone(),
        reason: e.to_string(),
    };
    let (stream, ring) =
        (target.build)(&device, &config, format, counters, &health).map_err(unavailable)?;
    stream.play().map_err(unavailable)?;
    tracing::debug!(device = %name, rate = config.sample_rate, channels = config.channels, %format, "audio stream started");
    let attached = Attached {
        ring,
        sample_rate: config.sample_rate,
        channels: config.channels,
    };
    Ok((stream, health, attached, name))
}

/// Whether a first stream was ever opened: only a re-open falls back to the default device; a
/// first open of a missing name is an error.
fn counters_started(counters: &Counters) -> bool {
    counters.losses.load(Ordering::Relaxed) > 0
}

/// Watches a running stream every [`HEALTH_POLL`]. Returns `None` when asked to stop, or why the
/// stream counts as lost: a fatal error from cpal, or no callback for [`STALL_AFTER`] (once
/// [`START_GRACE`] has passed since it was opened).
fn watch(shared: &Shared, health: &StreamHealth) -> Option<String> {
    let mut seen = health.callbacks.load(Ordering::Relaxed);
    let opened = Instant::now();
    let mut progressed = opened;
    loop {
        std::thread::park_timeout(HEALTH_POLL);
        if shared.stop.load(Ordering::Acquire) {
            return None;
        }
        if let Some(kind) = health.fatal_error() {
            return Some(format!("stream error: {kind}"));
        }
        let now = health.callbacks.load(Ordering::Relaxed);
        if now != seen {
            seen = now;
            progressed = Instant::now();
        } else if opened.elapsed() >= START_GRACE && progressed.elapsed() >= STALL_AFTER {
            return Some(format!(
                "no audio callbacks for {} ms",
                progressed.elapsed().as_millis()
            ));
        }
    }
}
