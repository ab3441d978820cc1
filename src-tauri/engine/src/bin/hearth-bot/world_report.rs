//! The figures of one `hearth-bot world-load` run: one JSON line on stdout, a table on stderr.

use hearth_engine::media::probe::quantile;
use serde::Serialize;

use crate::report::ratio;
use crate::world_stats::{Sent, UserStats};

/// Broadcast delay target from the issue, p99, milliseconds.
pub const TARGET_P99_MS: f64 = 50.0;
/// Server CPU target from the issue, percent of one core.
pub const TARGET_CPU_PCT: f64 = 25.0;
/// The server broadcasts presence at 10 Hz.
const BROADCAST_HZ: f64 = 10.0;

/// How many users a zone held during the run.
#[derive(Debug, Clone, Serialize)]
pub struct ZoneLoad {
    pub zone: String,
    pub users: usize,
}

/// Everything one run measured. `None` (JSON `null`, "n/a" in the table) when a figure could not
/// be measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WorldLoadReport {
    pub users: usize,
    pub zones: Vec<ZoneLoad>,
    /// Presence updates per user per second asked for.
    pub rate_hz: f64,
    /// Length of the measurement window, seconds.
    pub window_s: f64,
    /// `PRESENCE_UPDATE`s sent by all users, per second.
    pub updates_sent_per_s: f64,
    /// What the server should broadcast when every user moves between two flushes:
    /// sum over zones of users x (users - 1) x 10 Hz.
    pub expected_broadcasts_per_s: f64,
    /// `PRESENCE_BROADCAST`s received by all clients, per second.
    pub presence_received_per_s: f64,
    /// Server messages of any kind received by all clients, per second: what the server sent.
    pub messages_received_per_s: f64,
    /// Share of the updates sent that the server broadcast at all (10 Hz coalescing drops the
    /// ones a newer update replaced before the flush), percent.
    pub updates_broadcast_pct: Option<f64>,
    /// Receipts of broadcast updates over (zone users - 1) per broadcast update, percent: 100 when
    /// every peer got every broadcast.
    pub receipt_completeness_pct: Option<f64>,
    /// Receipt minus send, every receipt of an update sent in the window, milliseconds.
    pub delay_p50_ms: Option<f64>,
    pub delay_p99_ms: Option<f64>,
    pub delay_max_ms: Option<f64>,
    pub delay_samples: usize,
    /// Per broadcast update, its first receipt by any peer minus its send: coalescing wait plus
    /// one trip through the server, milliseconds.
    pub first_receipt_p50_ms: Option<f64>,
    pub first_receipt_p99_ms: Option<f64>,
    /// Per broadcast update, last receipt minus first: how long fanning it out to the whole zone
    /// took (server writes plus client reads), milliseconds.
    pub fanout_spread_p50_ms: Option<f64>,
    pub fanout_spread_p99_ms: Option<f64>,
    /// World server process CPU (user + system) over the window, percent of one core.
    pub server_cpu_pct_of_core: Option<f64>,
    /// World server CPU time per message it sent, microseconds.
    pub server_cpu_us_per_message: Option<f64>,
    /// This load generator (all clients, one process), percent of one core.
    pub loadgen_cpu_pct_of_core: Option<f64>,
    /// `hearth_world_users` at the end of the window.
    pub world_users: Option<f64>,
    /// The hostile client of `--flood`: what it sent and how the host ended it.
    pub flood: Option<crate::flood::FloodOutcome>,
    /// `POSITION_CORRECTION`s received (whole run; should be 0).
    pub corrections: u64,
    /// `ERROR`s received (whole run; should be 0), and a few of them.
    pub errors: u64,
    pub error_samples: Vec<String>,
    /// Broadcasts received whose update was never logged as sent (should be 0).
    pub unmatched_broadcasts: u64,
    /// Sessions that ended before the run stopped them (should be 0).
    pub sessions_ended_early: usize,
    /// Events the engine dropped because a user fell behind (should be 0).
    pub events_dropped: u64,
    /// Whether the delay p99 is under [`TARGET_P99_MS`].
    pub p99_target_met: Option<bool>,
    /// Whether the server CPU is under [`TARGET_CPU_PCT`].
    pub cpu_target_met: Option<bool>,
}

/// The raw material of a report.
pub struct Measured {
    pub users: usize,
    pub zones: Vec<ZoneLoad>,
    /// Zone size of each user's zone, by user index.
    pub zone_size_of_user: Vec<usize>,
    pub rate_hz: f64,
    pub window_s: f64,
    pub stats: Vec<UserStats>,
    /// Updates sent in the window, from the send log.
    pub sent: Vec<(usize, Sent)>,
    pub server_cpu_s: Option<f64>,
    pub own_cpu_s: Option<f64>,
    pub world_users: Option<f64>,
    /// The hostile client of `--flood`, if there was one.
    pub flood: Option<crate::flood::FloodOutcome>,
}

fn ms(us: Option<u64>) -> Option<f64> {
    us.map(|us| us as f64 / 1000.0)
}

/// Turns a run's measurements into its figures.
pub fn report(m: Measured) -> WorldLoadReport {
    let per_s = |count: u64| count as f64 / m.window_s.max(1e-9);
    let sum = |f: fn(&UserStats) -> u64| m.stats.iter().map(f).sum::<u64>();
    let mut delays: Vec<u64> = m
        .stats
        .iter()
        .flat_map(|s| s.delays_us.iter().map(|d| u64::from(*d)))
        .collect();
    delays.sort_unstable();
    let broadcast: Vec<&(usize, Sent)> = m.sent.iter().filter(|(_, s)| s.receipts > 0).collect();
    let mut first: Vec<u64> = broadcast
        .iter()
        .map(|(_, s)| s.first_ns.saturating_sub(s.sent_ns) / 1000)
        .collect();
    first.sort_unstable();
    let mut spread: Vec<u64> = broadcast
        .iter()
        .map(|(_, s)| s.last_ns.saturating_sub(s.first_ns) / 1000)
        .collect();
    spread.sort_unstable();
    let receipts: u64 = broadcast.iter().map(|(_, s)| u64::from(s.receipts)).sum();
    let expected_receipts: usize = broadcast
        .iter()
        .map(|(user, _)| {
            m.zone_size_of_user
                .get(*user)
                .map_or(0, |n| n.saturating_sub(1))
        })
        .sum();
    let pct = |part: f64, whole: f64| ratio(Some(part), Some(whole)).map(|r| r * 100.0);
    let delay_p99_ms = ms(quantile(&delays, 0.99));
    let server_cpu_pct_of_core = ratio(m.server_cpu_s, Some(m.window_s)).map(|r| r * 100.0);
    WorldLoadReport {
        users: m.users,
        zones: m.zones.clone(),
        rate_hz: m.rate_hz,
        window_s: m.window_s,
        updates_sent_per_s: per_s(sum(|s| s.updates_sent)),
        expected_broadcasts_per_s: m
            .zones
            .iter()
            .map(|z| (z.users * z.users.saturating_sub(1)) as f64 * BROADCAST_HZ)
            .sum(),
        presence_received_per_s: per_s(sum(|s| s.presence_received)),
        messages_received_per_s: per_s(sum(|s| s.messages_received)),
        updates_broadcast_pct: pct(broadcast.len() as f64, m.sent.len() as f64),
        receipt_completeness_pct: pct(receipts as f64, expected_receipts as f64),
        delay_p50_ms: ms(quantile(&delays, 0.5)),
        delay_p99_ms,
        delay_max_ms: ms(delays.last().copied()),
        delay_samples: delays.len(),
        first_receipt_p50_ms: ms(quantile(&first, 0.5)),
        first_receipt_p99_ms: ms(quantile(&first, 0.99)),
        fanout_spread_p50_ms: ms(quantile(&spread, 0.5)),
        fanout_spread_p99_ms: ms(quantile(&spread, 0.99)),
        server_cpu_pct_of_core,
        server_cpu_us_per_message: ratio(m.server_cpu_s, Some(sum(|s| s.messages_received) as f64))
            .map(|r| r * 1e6),
        loadgen_cpu_pct_of_core: ratio(m.own_cpu_s, Some(m.window_s)).map(|r| r * 100.0),
        world_users: m.world_users,
        flood: m.flood,
        corrections: sum(|s| s.corrections),
        errors: sum(|s| s.errors),
        error_samples: m
            .stats
            .iter()
            .flat_map(|s| s.error_samples.iter().cloned())
            .take(5)
            .collect(),
        unmatched_broadcasts: sum(|s| s.unmatched),
        sessions_ended_early: m.stats.iter().filter(|s| s.ended_early.is_some()).count(),
        events_dropped: sum(|s| s.events_dropped),
        p99_target_met: delay_p99_ms.map(|p99| p99 < TARGET_P99_MS),
        cpu_target_met: server_cpu_pct_of_core.map(|cpu| cpu < TARGET_CPU_PCT),
    }
}

fn num(value: Option<f64>, decimals: usize, unit: &str) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.decimals$}{unit}"))
}

fn verdict(met: Option<bool>) -> &'static str {
    match met {
        Some(true) => "met",
        Some(false) => "MISSED",
        None => "n/a",
    }
}

impl WorldLoadReport {
    /// Prints the report as a table on stderr.
    pub fn print_table(&self) {
        let zones: Vec<String> = self
            .zones
            .iter()
            .map(|z| format!("{} {}", z.zone, z.users))
            .collect();
        let rows = [
            ("users", format!("{} ({})", self.users, zones.join(", "))),
            (
                "window",
                format!("{:.1} s at {} Hz", self.window_s, self.rate_hz),
            ),
            ("world users (/metrics)", num(self.world_users, 0, "")),
            ("updates sent/s", format!("{:.0}", self.updates_sent_per_s)),
            (
                "broadcasts received/s",
                format!(
                    "{:.0} (at most {:.0})",
                    self.presence_received_per_s, self.expected_broadcasts_per_s
                ),
            ),
            (
                "server messages/s",
                format!("{:.0}", self.messages_received_per_s),
            ),
            (
                "updates broadcast",
                num(self.updates_broadcast_pct, 1, " %"),
            ),
            (
                "receipt completeness",
                num(self.receipt_completeness_pct, 2, " %"),
            ),
            ("delay p50", num(self.delay_p50_ms, 2, " ms")),
            (
                "delay p99",
                format!(
                    "{} (target < {TARGET_P99_MS} ms: {})",
                    num(self.delay_p99_ms, 2, " ms"),
                    verdict(self.p99_target_met)
                ),
            ),
            ("delay max", num(self.delay_max_ms, 2, " ms")),
            (
                "first receipt p50/p99",
                format!(
                    "{} / {}",
                    num(self.first_receipt_p50_ms, 2, ""),
                    num(self.first_receipt_p99_ms, 2, " ms")
                ),
            ),
            (
                "fan-out spread p50/p99",
                format!(
                    "{} / {}",
                    num(self.fanout_spread_p50_ms, 2, ""),
                    num(self.fanout_spread_p99_ms, 2, " ms")
                ),
            ),
            (
                "server CPU of one core",
                format!(
                    "{} (target < {TARGET_CPU_PCT} %: {})",
                    num(self.server_cpu_pct_of_core, 1, " %"),
                    verdict(self.cpu_target_met)
                ),
            ),
            (
                "server CPU per message",
                num(self.server_cpu_us_per_message, 2, " us"),
            ),
            (
                "load generator CPU",
                num(self.loadgen_cpu_pct_of_core, 1, " % of one core"),
            ),
            (
                "corrections / errors",
                format!("{} / {}", self.corrections, self.errors),
            ),
            (
                "unmatched broadcasts",
                self.unmatched_broadcasts.to_string(),
            ),
            (
                "sessions ended early",
                self.sessions_ended_early.to_string(),
            ),
            ("events dropped", self.events_dropped.to_string()),
        ];
        for (name, value) in rows {
            eprintln!("{name:<26} {value}");
        }
        for sample in &self.error_samples {
            eprintln!("{:<26} {sample}", "error");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent(sent_ns: u64, first_ns: u64, last_ns: u64, receipts: u32) -> Sent {
        Sent {
            sent_ns,
            first_ns,
            last_ns,
            receipts,
        }
    }

    #[test]
    fn figures_from_a_tiny_run() {
        let mut a = UserStats {
            delays_us: vec![10_000, 30_000],
            presence_received: 2,
            messages_received: 3,
            updates_sent: 2,
            ..UserStats::default()
        };
        a.error("RATE_LIMITED: slow".into());
        let report = report(Measured {
            users: 3,
            zones: vec![ZoneLoad {
                zone: "z".into(),
                users: 3,
            }],
            zone_size_of_user: vec![3, 3, 3],
            rate_hz: 15.0,
            window_s: 2.0,
            stats: vec![a, UserStats::default()],
            sent: vec![
                (0, sent(0, 10_000_000, 30_000_000, 2)),
                (1, sent(0, u64::MAX, 0, 0)),
            ],
            server_cpu_s: Some(0.5),
            own_cpu_s: None,
            world_users: Some(3.0),
            flood: None,
        });
        assert_eq!(report.expected_broadcasts_per_s, 60.0, "3 x 2 x 10 Hz");
        assert_eq!(report.updates_sent_per_s, 1.0);
        assert_eq!(report.updates_broadcast_pct, Some(50.0), "one of two");
        assert_eq!(report.receipt_completeness_pct, Some(100.0), "2 of 2 peers");
        assert_eq!(report.delay_p50_ms, Some(10.0));
        assert_eq!(report.delay_max_ms, Some(30.0));
        assert_eq!(report.fanout_spread_p50_ms, Some(20.0));
        assert_eq!(report.server_cpu_pct_of_core, Some(25.0));
        assert_eq!(report.cpu_target_met, Some(false), "25 % is not under 25 %");
        assert_eq!(report.server_cpu_us_per_message, Some(0.5e6 / 3.0));
        assert_eq!(report.p99_target_met, Some(true));
        assert_eq!(report.errors, 1);
        assert_eq!(report.loadgen_cpu_pct_of_core, None);
    }
}
