//! PulseAudio capture with a record buffer that holds more than one fragment.
//!
//! cpal 0.18 opens PulseAudio record streams with `maxlength` equal to one fragment. The server
//! drops whatever does not fit, so each time a source hands over a block before the client has
//! taken the previous one, audio is lost. Against a null sink's monitor, 7.5 % of the frames were
//! lost with 10 ms fragments, 15 % with 20 ms and 33 % with 40 ms, and voice arrived with a
//! hole every few fragments. This module opens the record stream itself, with the same
//! pure-Rust client that cpal uses, the same fragment size (the delivery chunk, which sets the
//! latency), and the server's own `maxlength` (its largest, so nothing is dropped while the
//! client is a little late). The device list and formats still come from cpal.

use std::ffi::CString;
use std::sync::mpsc;
use std::time::Duration;

use cpal::traits::DeviceTrait;
use cpal::{ErrorKind, StreamConfig};
use futures::FutureExt;
use futures::executor::block_on;
use pulseaudio::protocol::{self, stream::BufferAttr, stream::StreamFlags};

use super::stream::CaptureWriter;

/// Bytes per sample of the format asked for (`f32`, little endian; the server converts).
const SAMPLE_BYTES: usize = 4;

/// The PulseAudio source behind a cpal device, if it is one.
pub(crate) fn source_name(device: &cpal::Device) -> Option<String> {
    device
        .id()
        .ok()
        .filter(|id| id.host() == cpal::HostId::PulseAudio)
        .map(|id| id.id().to_owned())
}

/// A record stream on its own client connection. Dropping it closes both.
pub(crate) struct PulseCapture {
    stream: pulseaudio::RecordStream,
    _client: pulseaudio::Client,
}

impl PulseCapture {
    /// Connects to the server and creates a corked record stream on `source` in `config`'s
    /// rate and channels, delivering fragments of `config.buffer_size` frames to `writer`.
    /// Gives up after `timeout` (a hung server would otherwise block forever).
    ///
    /// # Errors
    /// [`ErrorKind::UnsupportedConfig`] for more than two channels, [`ErrorKind::DeviceNotAvailable`]
    /// when the server does not answer in time, and what the server answers otherwise.
    pub(crate) fn open(
        source: &str,
        config: &StreamConfig,
        writer: CaptureWriter,
        timeout: Duration,
    ) -> Result<Self, cpal::Error> {
        let channel_map = match config.channels {
            1 => protocol::ChannelMap::mono(),
            2 => protocol::ChannelMap::stereo(),
            n => {
                return Err(cpal::Error::with_message(
                    ErrorKind::UnsupportedConfig,
                    format!("{n} capture channels (the PulseAudio capture takes 1 or 2)"),
                ));
            }
        };
        let fragment_size = match config.buffer_size {
            cpal::BufferSize::Fixed(frames) => {
                let bytes = frames as usize * usize::from(config.channels) * SAMPLE_BYTES;
                u32::try_from(bytes).unwrap_or(u32::MAX)
            }
            cpal::BufferSize::Default => u32::MAX,
        };
        let params = protocol::RecordStreamParams {
            sample_spec: protocol::SampleSpec {
                format: protocol::SampleFormat::Float32Le,
                channels: config.channels as u8,
                sample_rate: config.sample_rate,
            },
            channel_map,
            source_name: Some(c_string(source)?),
            buffer_attr: BufferAttr {
                max_length: u32::MAX,
                fragment_size,
                ..BufferAttr::default()
            },
            flags: StreamFlags {
                start_corked: true,
                adjust_latency: fragment_size != u32::MAX,
                ..StreamFlags::default()
            },
            ..protocol::RecordStreamParams::default()
        };
        // The client's handshake has no timeout of its own: connect on a helper thread.
        let (done, result) = mpsc::channel();
        std::thread::Builder::new()
            .name("audio-pulse-open".to_owned())
            .spawn(move || {
                let opened = pulseaudio::Client::from_env(c"hearth").and_then(|client| {
                    let stream = block_on(client.create_record_stream(params, writer.into_sink()))?;
                    Ok(Self {
                        stream,
                        _client: client,
                    })
                });
                let _ = done.send(opened);
            })
            .map_err(|e| cpal::Error::with_message(ErrorKind::ResourceExhausted, e.to_string()))?;
        match result.recv_timeout(timeout) {
            Ok(opened) => opened.map_err(|e| {
                cpal::Error::with_message(ErrorKind::DeviceNotAvailable, e.to_string())
            }),
            Err(_) => Err(cpal::Error::with_message(
                ErrorKind::DeviceNotAvailable,
                format!("PulseAudio did not open the record stream within {timeout:?}"),
            )),
        }
    }

    /// Starts the stream.
    ///
    /// # Errors
    /// What the server answers.
    pub(crate) fn play(&self) -> Result<(), cpal::Error> {
        block_on(self.stream.uncork())
            .map_err(|e| cpal::Error::with_message(ErrorKind::BackendError, e.to_string()))
    }
}

impl Drop for PulseCapture {
    fn drop(&mut self) {
        // Ask the server to delete the stream without waiting for its answer: the client
        // connection closes right after.
        let _ = self.stream.clone().delete().now_or_never();
    }
}

fn c_string(s: &str) -> Result<CString, cpal::Error> {
    CString::new(s).map_err(|_| {
        cpal::Error::with_message(ErrorKind::InvalidInput, format!("source name {s:?}"))
    })
}
