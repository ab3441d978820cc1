//! [`DeviceInput`]: a capture device as a paced [`AudioSource`].

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use rtrb::Consumer;

use super::convert::CaptureConverter;
use super::list::Direction;
use super::stream::build_input;
use super::supervisor::Supervisor;
use super::{DeviceCounters, DeviceError, DeviceStatus, StreamPreference};
use crate::audio::{AudioSource, SAMPLES_PER_MS};

/// How far [`DeviceInput::read`]'s own frame clock may fall behind real time, in frame periods,
/// before it is reset (after the caller stopped reading for a while).
const MAX_BEHIND_PERIODS: u32 = 5;

/// How often a waiting [`DeviceInput::read`] looks at the ring again.
const WAIT_STEP: Duration = Duration::from_millis(1);

/// Most engine audio kept waiting to be read; older audio is dropped so latency stays bounded
/// when the device runs faster than the engine reads.
const MAX_PENDING_MS: usize = 200;

/// Device samples converted per ring read: bounds the work per pass.
const DRAIN_CHUNK: usize = 4_096;

/// A capture device (microphone) delivering mono 48 kHz `i16` frames.
///
/// [`read`](AudioSource::read) blocks until a whole frame has been captured, or until the frame
/// is late by the wall clock (frames are due one period apart; one period of slack), then fills
/// in silence:
/// the device's clock paces the caller, and frames keep real time when it falters
/// ([`paced`](AudioSource::paced) is `true`). It never ends: while the device is lost it
/// yields silence, and audio resumes once the device has been re-opened.
pub struct DeviceInput {
    supervisor: Supervisor<Consumer<f32>>,
    stream: Option<(Consumer<f32>, CaptureConverter)>,
    pending: VecDeque<i16>,
    scratch: Vec<f32>,
    /// When the next frame is due by the wall clock: a read that finds no audio waits until
    /// then and gives silence, so frames keep coming at real time while the device is late,
    /// stalled or lost.
    due: Option<Instant>,
}

impl DeviceInput {
    /// Opens the capture device called `name` (as listed by
    /// [`list_devices`](super::list_devices)), or the default one, in its own format.
    ///
    /// # Errors
    /// [`DeviceError::NotFound`] for an unknown name, [`DeviceError::Unavailable`] when the
    /// device cannot be opened (as `alsa:default` on a machine without a sound card),
    /// [`DeviceError::Unsupported`] when it has no usable format.
    pub fn open(name: Option<&str>) -> Result<Self, DeviceError> {
        Self::open_with(name, StreamPreference::default())
    }

    /// Like [`DeviceInput::open`], asking for a particular rate or channel count.
    ///
    /// # Errors
    /// As [`DeviceInput::open`].
    pub fn open_with(
        name: Option<&str>,
        preference: StreamPreference,
    ) -> Result<Self, DeviceError> {
        let supervisor = Supervisor::start(
            name.map(str::to_owned),
            Direction::Input,
            preference,
            build_input,
        )?;
        Ok(Self {
            supervisor,
            stream: None,
            pending: VecDeque::new(),
            scratch: Vec::with_capacity(DRAIN_CHUNK),
            due: None,
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
            .attach_into(&mut self.stream, CaptureConverter::new);
        if self
            .stream
            .as_ref()
            .is_some_and(|(ring, _)| ring.is_abandoned() && ring.is_empty())
        {
            self.stream = None;
        }
    }

    /// Moves captured audio from the ring into `pending` until it holds `want` samples or the
    /// ring is empty.
    fn drain(&mut self, want: usize) {
        let Some((ring, converter)) = &mut self.stream else {
            return;
        };
        while self.pending.len() < want {
            let n = ring.slots().min(DRAIN_CHUNK);
            if n == 0 {
                break;
            }
            let Ok(chunk) = ring.read_chunk(n) else { break };
            let (first, second) = chunk.as_slices();
            self.scratch.clear();
            self.scratch.extend_from_slice(first);
            self.scratch.extend_from_slice(second);
            chunk.commit_all();
            converter.push(&self.scratch, &mut self.pending);
        }
        let max = MAX_PENDING_MS * SAMPLES_PER_MS + want;
        if self.pending.len() > max {
            let excess = self.pending.len() - max;
            self.pending.drain(..excess);
            self.supervisor
                .counters()
                .overruns
                .fetch_add(excess as u64, Ordering::Relaxed);
        }
    }
}

impl AudioSource for DeviceInput {
    fn read(&mut self, frame: &mut [i16]) -> bool {
        let want = frame.len();
        let period = Duration::from_micros((want / SAMPLES_PER_MS.max(1)) as u64 * 1_000);
        let now = Instant::now();
        // The frame clock: one period per frame read. Audio that is there is returned at once
        // (the device's clock paces the caller); a frame with no audio waits until it is due.
        // A late device gets one period of slack past that.
        let due = match self.due {
            Some(due) if due + period * MAX_BEHIND_PERIODS >= now => due,
            _ => now,
        };
        self.due = Some(due + period);
        let deadline = due + period;
        loop {
            self.refresh();
            self.drain(want);
            if self.pending.len() >= want || Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(WAIT_STEP);
        }
        let got = self.pending.len().min(want);
        for (out, sample) in frame.iter_mut().zip(self.pending.drain(..got)) {
            *out = sample;
        }
        frame[got..].fill(0);
        if got < want {
            self.supervisor
                .counters()
                .silent_samples
                .fetch_add((want - got) as u64, Ordering::Relaxed);
        }
        true
    }

    fn paced(&self) -> bool {
        true
    }
}
