//! In-memory and discarding audio sinks.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::AudioSink;

/// A sink that keeps everything written to it in memory.
///
/// Meant for tests and tools: every write takes a lock and may grow a `Vec`, so it must not be
/// used from a real-time device callback. Read what was written through a [`MemoryTap`].
#[derive(Debug, Default)]
pub struct MemorySink {
    samples: Arc<Mutex<Vec<i16>>>,
}

impl MemorySink {
    /// An empty memory sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// A handle that can read what this sink has received, now and later, from any thread.
    pub fn tap(&self) -> MemoryTap {
        MemoryTap {
            samples: Arc::clone(&self.samples),
        }
    }
}

impl AudioSink for MemorySink {
    fn write(&mut self, samples: &[i16]) {
        lock(&self.samples).extend_from_slice(samples);
    }
}

/// A cloneable read handle onto a [`MemorySink`]; stays valid after the sink is dropped.
#[derive(Debug, Clone)]
pub struct MemoryTap {
    samples: Arc<Mutex<Vec<i16>>>,
}

impl MemoryTap {
    /// A copy of every sample written to the sink so far, in order.
    pub fn snapshot(&self) -> Vec<i16> {
        lock(&self.samples).clone()
    }

    /// A copy of the last `n` samples written (all of them when fewer were).
    pub fn tail(&self, n: usize) -> Vec<i16> {
        let samples = lock(&self.samples);
        samples[samples.len().saturating_sub(n)..].to_vec()
    }

    /// Number of samples written to the sink so far.
    pub fn len(&self) -> usize {
        lock(&self.samples).len()
    }

    /// Whether nothing has been written yet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Locks the shared buffer. A writer that panicked mid-`extend` leaves at worst a truncated
/// append, which is still a valid sample buffer, so poisoning is ignored.
fn lock(samples: &Mutex<Vec<i16>>) -> MutexGuard<'_, Vec<i16>> {
    samples.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A sink that discards everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NullSink;

impl NullSink {
    /// A sink that discards everything.
    pub fn new() -> Self {
        Self
    }
}

impl AudioSink for NullSink {
    fn write(&mut self, _samples: &[i16]) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tap_sees_what_was_written() {
        let mut sink = MemorySink::new();
        let tap = sink.tap();
        let other = tap.clone();
        assert!(tap.is_empty(), "nothing written yet");
        sink.write(&[1, 2, 3]);
        assert_eq!(tap.snapshot(), vec![1, 2, 3], "tap sees the first write");
        sink.write(&[-4]);
        sink.finish().expect("memory sink cannot fail");
        drop(sink);
        assert_eq!(
            other.snapshot(),
            vec![1, 2, 3, -4],
            "clones see every write, after drop too"
        );
        assert_eq!(other.len(), 4);
        assert_eq!(other.tail(2), vec![3, -4], "the tail is the newest samples");
        assert_eq!(
            other.tail(9),
            vec![1, 2, 3, -4],
            "a long tail is everything"
        );
    }

    #[test]
    fn null_sink_accepts_anything() {
        let mut sink = NullSink::new();
        sink.write(&[1; 960]);
        assert!(sink.finish().is_ok(), "null sink never fails");
    }
}
