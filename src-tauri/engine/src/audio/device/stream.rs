//! Building cpal streams and their real-time callbacks.
//!
//! A callback only moves samples between the device buffer and its ring (converting the sample
//! type), and bumps atomics. It never allocates, locks, logs or blocks.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use cpal::traits::{DeviceTrait, StreamTrait};
use cpal::{ErrorKind, SampleFormat, StreamConfig};
use rtrb::{Consumer, Producer, RingBuffer};

use super::convert::DeviceSample;
use super::{Counters, RING_MS};

/// How long cpal may take to set a stream up.
const BUILD_TIMEOUT: Duration = Duration::from_secs(2);

/// Output waits for this much audio in its ring before it starts (and after each underrun)
/// so that the engine's frame-sized writes do not underrun every callback.
const PRIME_MS: usize = 40;

/// Stream errors that end a stream. Their position + 1 is the code stored in
/// [`StreamHealth`]; other kinds (xruns, reroutes, no real-time priority) are not fatal.
const FATAL_KINDS: [ErrorKind; 10] = [
    ErrorKind::DeviceNotAvailable,
    ErrorKind::DeviceBusy,
    ErrorKind::StreamInvalidated,
    ErrorKind::HostUnavailable,
    ErrorKind::BackendError,
    ErrorKind::PermissionDenied,
    ErrorKind::ResourceExhausted,
    ErrorKind::InvalidInput,
    ErrorKind::UnsupportedConfig,
    ErrorKind::Other,
];

/// What one stream's callbacks report to its supervisor.
#[derive(Debug, Default)]
pub(crate) struct StreamHealth {
    /// Data callbacks so far: the supervisor calls a stream lost when this stops moving.
    pub(crate) callbacks: AtomicU64,
    /// 0, or 1 + the index in [`FATAL_KINDS`] of the first fatal error.
    error: AtomicU8,
}

impl StreamHealth {
    /// Records a stream error; real-time safe (one atomic store).
    fn record(&self, kind: ErrorKind) {
        if let Some(i) = FATAL_KINDS.iter().position(|k| *k == kind) {
            let code = u8::try_from(i + 1).unwrap_or(u8::MAX);
            let _ = self
                .error
                .compare_exchange(0, code, Ordering::AcqRel, Ordering::Relaxed);
        }
    }

    /// The first fatal error this stream reported, if any.
    pub(crate) fn fatal_error(&self) -> Option<ErrorKind> {
        let code = usize::from(self.error.load(Ordering::Acquire));
        code.checked_sub(1)
            .and_then(|i| FATAL_KINDS.get(i))
            .copied()
    }
}

/// Ring capacity for `config`: [`RING_MS`] of device samples.
fn ring_capacity(config: &StreamConfig) -> usize {
    config.sample_rate as usize * usize::from(config.channels.max(1)) * RING_MS / 1000
}

fn unsupported(format: SampleFormat) -> cpal::Error {
    cpal::Error::with_message(
        ErrorKind::UnsupportedConfig,
        format!("sample format {format} is not used (only i16 and f32)"),
    )
}

/// A built stream, not yet playing. Dropping it closes the device.
pub(crate) enum DeviceStream {
    Cpal(cpal::Stream),
    /// A PulseAudio capture opened without cpal (see [`super::pulse`]; Linux only, where
    /// Hearth is packaged).
    #[cfg(target_os = "linux")]
    Pulse(super::pulse::PulseCapture),
}

impl DeviceStream {
    /// Starts the stream.
    ///
    /// # Errors
    /// What the audio host reports.
    pub(crate) fn play(&self) -> Result<(), cpal::Error> {
        match self {
            Self::Cpal(stream) => stream.play(),
            #[cfg(target_os = "linux")]
            Self::Pulse(capture) => capture.play(),
        }
    }
}

/// The capture callbacks' end of a ring: device samples in, as `f32`, with the counters kept.
pub(crate) struct CaptureWriter {
    ring: Producer<f32>,
    channels: usize,
    counters: Arc<Counters>,
    health: Arc<StreamHealth>,
}

impl CaptureWriter {
    /// Writes one callback's interleaved samples; what does not fit in the ring is counted
    /// as an overrun. Real-time safe.
    pub(crate) fn write(&mut self, samples: impl ExactSizeIterator<Item = f32>) {
        self.health.callbacks.fetch_add(1, Ordering::Relaxed);
        let len = samples.len();
        let n = len.min(self.ring.slots());
        if let Ok(chunk) = self.ring.write_chunk_uninit(n) {
            chunk.fill_from_iter(samples);
        }
        if n < len {
            self.counters
                .overruns
                .fetch_add((len - n) as u64, Ordering::Relaxed);
        }
        self.counters
            .frames
            .fetch_add((len / self.channels) as u64, Ordering::Relaxed);
    }

    /// As a PulseAudio record sink: little-endian `f32` bytes in. The server delivers whole
    /// frames.
    #[cfg(target_os = "linux")]
    pub(crate) fn into_sink(mut self) -> impl FnMut(&[u8]) + Send + 'static {
        move |bytes: &[u8]| {
            self.write(
                bytes
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            );
        }
    }
}

/// Builds a capture stream whose callback fills a new ring; returns the stream (not yet
/// playing) and the ring's reading end. A PulseAudio source is opened without cpal's stream
/// (see [`super::pulse`]), in `f32` whatever `format` the device has.
///
/// # Errors
/// What the audio host reports when building the stream.
pub(crate) fn build_input(
    device: &cpal::Device,
    config: &StreamConfig,
    format: SampleFormat,
    counters: &Arc<Counters>,
    health: &Arc<StreamHealth>,
) -> Result<(DeviceStream, Consumer<f32>), cpal::Error> {
    let (producer, consumer) = RingBuffer::new(ring_capacity(config));
    let writer = CaptureWriter {
        ring: producer,
        channels: usize::from(config.channels.max(1)),
        counters: counters.clone(),
        health: health.clone(),
    };
    #[cfg(target_os = "linux")]
    if let Some(source) = super::pulse::source_name(device) {
        let capture = super::pulse::PulseCapture::open(&source, config, writer, BUILD_TIMEOUT)?;
        return Ok((DeviceStream::Pulse(capture), consumer));
    }
    let stream = match format {
        SampleFormat::I16 => input_stream::<i16>(device, config, writer),
        SampleFormat::F32 => input_stream::<f32>(device, config, writer),
        other => Err(unsupported(other)),
    }?;
    Ok((DeviceStream::Cpal(stream), consumer))
}

fn input_stream<T: DeviceSample>(
    device: &cpal::Device,
    config: &StreamConfig,
    mut writer: CaptureWriter,
) -> Result<cpal::Stream, cpal::Error> {
    let errors = writer.health.clone();
    device.build_input_stream::<T, _, _>(
        *config,
        move |data: &[T], _: &cpal::InputCallbackInfo| {
            writer.write(data.iter().map(|s| s.to_f32()));
        },
        move |e| errors.record(e.kind()),
        Some(BUILD_TIMEOUT),
    )
}

/// Builds a playback stream whose callback drains a new ring; returns the stream (not yet
/// playing) and the ring's writing end.
///
/// # Errors
/// What cpal reports when building the stream.
pub(crate) fn build_output(
    device: &cpal::Device,
    config: &StreamConfig,
    format: SampleFormat,
    counters: &Arc<Counters>,
    health: &Arc<StreamHealth>,
) -> Result<(DeviceStream, Producer<f32>), cpal::Error> {
    let (producer, consumer) = RingBuffer::new(ring_capacity(config));
    let stream = match format {
        SampleFormat::I16 => output_stream::<i16>(device, config, consumer, counters, health),
        SampleFormat::F32 => output_stream::<f32>(device, config, consumer, counters, health),
        other => Err(unsupported(other)),
    }?;
    Ok((DeviceStream::Cpal(stream), producer))
}

fn output_stream<T: DeviceSample>(
    device: &cpal::Device,
    config: &StreamConfig,
    mut ring: Consumer<f32>,
    counters: &Arc<Counters>,
    health: &Arc<StreamHealth>,
) -> Result<cpal::Stream, cpal::Error> {
    let channels = usize::from(config.channels.max(1));
    let prime =
        (config.sample_rate as usize * channels * PRIME_MS / 1000).min(ring.buffer().capacity());
    let mut primed = false;
    let (counters, health, errors) = (counters.clone(), health.clone(), health.clone());
    device.build_output_stream::<T, _, _>(
        *config,
        move |data: &mut [T], _: &cpal::OutputCallbackInfo| {
            health.callbacks.fetch_add(1, Ordering::Relaxed);
            counters
                .frames
                .fetch_add((data.len() / channels) as u64, Ordering::Relaxed);
            let available = ring.slots();
            if !primed && available < prime {
                data.fill(T::from_f32(0.0));
                return;
            }
            primed = true;
            let n = data.len().min(available);
            if let Ok(chunk) = ring.read_chunk(n) {
                let (first, second) = chunk.as_slices();
                for (out, &sample) in data.iter_mut().zip(first.iter().chain(second)) {
                    *out = T::from_f32(sample);
                }
                chunk.commit_all();
            }
            if n < data.len() {
                data[n..].fill(T::from_f32(0.0));
                counters.underruns.fetch_add(1, Ordering::Relaxed);
                primed = false;
            }
        },
        move |e| errors.record(e.kind()),
        Some(BUILD_TIMEOUT),
    )
}
