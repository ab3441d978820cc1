//! A fixed-bucket latency histogram in the Prometheus shape (cumulative buckets, sum, count).

use std::fmt::Write;
use std::time::Duration;

/// Upper bounds of the buckets, in seconds.
const BOUNDS: [f64; 10] = [
    0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.05,
];

/// Counts of observations per bucket, plus their sum.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Histogram {
    /// Non-cumulative counts; the last slot is the overflow (+Inf) bucket.
    counts: [u64; BOUNDS.len() + 1],
    sum_secs: f64,
}

impl Histogram {
    pub fn observe(&mut self, value: Duration) {
        let secs = value.as_secs_f64();
        let slot = BOUNDS
            .iter()
            .position(|b| secs <= *b)
            .unwrap_or(BOUNDS.len());
        self.counts[slot] += 1;
        self.sum_secs += secs;
    }

    /// Adds another histogram's observations.
    pub fn add(&mut self, other: &Histogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts) {
            *mine += theirs;
        }
        self.sum_secs += other.sum_secs;
    }

    pub fn count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Appends the histogram as Prometheus text under `name`.
    pub fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (bound, count) in BOUNDS.iter().zip(self.counts) {
            cumulative += count;
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {}", self.count());
        let _ = writeln!(
            out,
            "{name}_sum {}\n{name}_count {}",
            self.sum_secs,
            self.count()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_overflow_counts() {
        let mut h = Histogram::default();
        h.observe(Duration::from_micros(10));
        h.observe(Duration::from_micros(300));
        h.observe(Duration::from_secs(1));
        let mut text = String::new();
        h.render(&mut text, "x", "test");
        assert!(text.contains("x_bucket{le=\"0.000025\"} 1\n"), "{text}");
        assert!(text.contains("x_bucket{le=\"0.0005\"} 2\n"), "{text}");
        assert!(text.contains("x_bucket{le=\"0.05\"} 2\n"), "{text}");
        assert!(text.contains("x_bucket{le=\"+Inf\"} 3\n"), "{text}");
        assert!(text.contains("x_count 3\n"), "{text}");
    }
}
