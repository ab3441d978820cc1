//! The figures of one load run: one JSON line on stdout, a table on stderr.

use serde::Serialize;

/// Everything one load run measured. `None` (JSON `null`, "n/a" in the table) when the figure
/// could not be measured (no host pid, no histogram, no samples).
#[derive(Debug, Clone, Default, Serialize)]
pub struct LoadReport {
    pub speakers: usize,
    pub listeners: usize,
    /// Copies of the room, each in its own channel.
    pub rooms: usize,
    /// The hostile member of `--flood`: what it sent and how the host ended it.
    pub flood: Option<crate::flood::FloodOutcome>,
    /// Length of the measurement window, seconds (wall clock).
    pub window_s: f64,
    /// What the rooms should forward: rooms x speakers x 50 packets/s x (everyone else in a room).
    pub expected_forwarded_pps: f64,
    /// Forwarded packets per second over the window (delta of the SFU's counter).
    pub forwarded_pps: Option<f64>,
    /// Forwarded payload bytes per second over the window.
    pub forwarded_bytes_per_s: Option<f64>,
    /// SFU process CPU time (user + system) over the window, seconds.
    pub sfu_cpu_s: Option<f64>,
    /// SFU CPU as a percentage of one core.
    pub sfu_cpu_pct_of_core: Option<f64>,
    /// SFU CPU time per forwarded packet, microseconds.
    pub sfu_cpu_us_per_packet: Option<f64>,
    /// This load generator's CPU (all clients, one process) as a percentage of one core.
    pub loadgen_cpu_pct_of_core: Option<f64>,
    /// Probes the window covers, summed over every (receiver, sender) pair.
    pub probes_expected: u64,
    /// Of those, the ones received.
    pub probes_received: u64,
    /// Lost share of the expected probes, percent.
    pub loss_pct: Option<f64>,
    /// One-way latency speaker send to listener receive (through both WebRTC stacks and the
    /// SFU), milliseconds.
    pub e2e_latency_p50_ms: Option<f64>,
    pub e2e_latency_p99_ms: Option<f64>,
    pub e2e_latency_max_ms: Option<f64>,
    /// The SFU's own receipt-to-last-send time, from its histogram (interpolated), milliseconds.
    pub sfu_forward_latency_p50_ms: Option<f64>,
    pub sfu_forward_latency_p99_ms: Option<f64>,
    /// Join start to the first probe, listeners that joined before the speakers (includes
    /// waiting for the speakers to join), milliseconds.
    pub initial_join_to_first_audio_p50_ms: Option<f64>,
    pub initial_join_to_first_audio_max_ms: Option<f64>,
    /// A listener joining while everyone talks: join start to media connected, milliseconds.
    pub late_join_to_media_connected_ms: Option<f64>,
    /// The same listener: join start to its first probe, milliseconds.
    pub late_join_to_first_audio_ms: Option<f64>,
    /// Why the late listener could not join, if it could not.
    pub late_join_error: Option<String>,
    /// SFU peers at the end of the window (from `/metrics`).
    pub sfu_peers: Option<f64>,
    /// Client sessions that ended by themselves before the window closed (should be 0).
    pub sessions_ended_early: usize,
}

impl LoadReport {
    /// Prints the report as a table on stderr.
    pub fn print_table(&self) {
        let rows: [(&str, String); 21] = [
            (
                "room",
                format!("{} x ({} -> {})", self.rooms, self.speakers, self.listeners),
            ),
            ("window", format!("{:.1} s", self.window_s)),
            ("SFU peers", num(self.sfu_peers, 0, "")),
            (
                "sessions ended early",
                self.sessions_ended_early.to_string(),
            ),
            (
                "forwarded packets/s",
                format!(
                    "{} (expected {:.0})",
                    num(self.forwarded_pps, 0, ""),
                    self.expected_forwarded_pps
                ),
            ),
            ("forwarded bytes/s", num(self.forwarded_bytes_per_s, 0, "")),
            ("SFU CPU", num(self.sfu_cpu_s, 2, " s")),
            (
                "SFU CPU of one core",
                num(self.sfu_cpu_pct_of_core, 1, " %"),
            ),
            (
                "SFU CPU per packet",
                num(self.sfu_cpu_us_per_packet, 2, " us"),
            ),
            (
                "load generator CPU",
                num(self.loadgen_cpu_pct_of_core, 1, " % of one core"),
            ),
            (
                "probes received",
                format!("{} of {}", self.probes_received, self.probes_expected),
            ),
            ("loss", num(self.loss_pct, 3, " %")),
            ("end-to-end p50", num(self.e2e_latency_p50_ms, 2, " ms")),
            ("end-to-end p99", num(self.e2e_latency_p99_ms, 2, " ms")),
            ("end-to-end max", num(self.e2e_latency_max_ms, 2, " ms")),
            (
                "SFU forwarding p50",
                num(self.sfu_forward_latency_p50_ms, 3, " ms"),
            ),
            (
                "SFU forwarding p99",
                num(self.sfu_forward_latency_p99_ms, 3, " ms"),
            ),
            (
                "join->audio p50 (initial)",
                num(self.initial_join_to_first_audio_p50_ms, 0, " ms"),
            ),
            (
                "join->audio max (initial)",
                num(self.initial_join_to_first_audio_max_ms, 0, " ms"),
            ),
            (
                "late join->media",
                num(self.late_join_to_media_connected_ms, 0, " ms"),
            ),
            (
                "late join->audio",
                num(self.late_join_to_first_audio_ms, 0, " ms"),
            ),
        ];
        for (name, value) in rows {
            eprintln!("{name:<28} {value}");
        }
        if let Some(error) = &self.late_join_error {
            eprintln!("{:<28} {error}", "late join failed");
        }
    }
}

fn num(value: Option<f64>, decimals: usize, unit: &str) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.decimals$}{unit}"))
}

/// `part / whole`, `None` when `whole` is zero or either is unknown.
pub fn ratio(part: Option<f64>, whole: Option<f64>) -> Option<f64> {
    match (part, whole) {
        (Some(p), Some(w)) if w > 0.0 => Some(p / w),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_figures_read_na() {
        assert_eq!(num(None, 2, " ms"), "n/a");
        assert_eq!(num(Some(1.234), 2, " ms"), "1.23 ms");
        assert_eq!(ratio(Some(1.0), Some(0.0)), None, "no division by zero");
        assert_eq!(ratio(Some(1.0), Some(4.0)), Some(0.25));
        assert_eq!(ratio(None, Some(4.0)), None);
    }

    #[test]
    fn missing_figures_are_null_in_json() {
        let json = serde_json::to_value(LoadReport::default()).expect("serializable");
        assert_eq!(json["sfu_forward_latency_p99_ms"], serde_json::Value::Null);
        assert_eq!(json["probes_expected"], 0);
    }
}
