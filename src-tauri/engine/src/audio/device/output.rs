//! [`DeviceOutput`]: a playback device as an [`AudioSink`].

use std::sync::atomic::Ordering;

use rtrb::Producer;

use super::convert::PlaybackConverter;
use super::list::Direction;
use super::stream::build_output;
use super::supervisor::Supervisor;
use super::{DeviceCounters, DeviceError, DeviceStatus, StreamPreference};
use crate::audio::AudioSink;

/// A playback device (speaker) fed with mono 48 kHz `i16` audio.
///
/// [`write`](AudioSink::write) never blocks: it converts to the device's format and queues the
/// audio for the device's callback. When the queue is full the newest audio is dropped (counted
/// as overruns); when it runs dry the device plays silence (counted as underruns). The caller
/// paces the writes by [`queued`](AudioSink::queued), the audio waiting for the device, so the
/// delay between writing and hearing stays short and steady (what an echo canceller needs).
/// While the device is lost, writes are discarded; playback resumes once it has been re-opened.
pub struct DeviceOutput {
    supervisor: Supervisor<Producer<f32>>,
    stream: Option<(Producer<f32>, PlaybackConverter)>,
    converted: Vec<f32>,
}

impl DeviceOutput {
    /// Opens the playback device called `name` (as listed by
    /// [`list_devices`](super::list_devices)), or the default one, in its own format.
    ///
    /// # Errors
    /// [`DeviceError::NotFound`] for an unknown name, [`DeviceError::Unavailable`] when the
    /// device cannot be opened (as `alsa:default` on a machine without a sound card),
    /// [`DeviceError::Unsupported`] when it has no usable format.
    pub fn open(name: Option<&str>) -> Result<Self, DeviceError> {
        Self::open_with(name, StreamPreference::default())
    }

    /// Like [`DeviceOutput::open`], asking for a particular rate or channel count.
    ///
    /// # Errors
    /// As [`DeviceOutput::open`].
    pub fn open_with(
        name: Option<&str>,
        preference: StreamPreference,
    ) -> Result<Self, DeviceError> {
        let supervisor = Supervisor::start(
            name.map(str::to_owned),
            Direction::Output,
            preference,
            build_output,
        )?;
        Ok(Self {
            supervisor,
            stream: None,
            converted: Vec::new(),
        })
    }

    /// Health of the device.
    pub fn status(&self) -> DeviceStatus {
        self.supervisor.status()
    }

    /// Name of the device in use.
    pub fn device(&self) -> String {
        self.supervisor.device()
    }

    /// The device's counters so far.
    pub fn counters(&self) -> DeviceCounters {
        self.supervisor.snapshot()
    }

    /// Picks up a re-opened stream, drops an abandoned one.
    fn refresh(&mut self) {
        self.supervisor
            .attach_into(&mut self.stream, PlaybackConverter::new);
        if self
            .stream
            .as_ref()
            .is_some_and(|(ring, _)| ring.is_abandoned())
        {
            self.stream = None;
        }
    }
}

impl AudioSink for DeviceOutput {
    fn write(&mut self, samples: &[i16]) {
        self.refresh();
        let Some((ring, converter)) = &mut self.stream else {
            return;
        };
        converter.convert(samples, &mut self.converted);
        let n = self.converted.len().min(ring.slots());
        if let Ok(chunk) = ring.write_chunk_uninit(n) {
            chunk.fill_from_iter(self.converted.iter().copied());
        }
        if n < self.converted.len() {
            self.supervisor
                .counters()
                .overruns
                .fetch_add((self.converted.len() - n) as u64, Ordering::Relaxed);
        }
    }

    fn queued(&self) -> Option<std::time::Duration> {
        let (ring, converter) = self.stream.as_ref()?;
        if ring.is_abandoned() {
            return None;
        }
        Some(converter.duration_of(ring.buffer().capacity() - ring.slots()))
    }
}
