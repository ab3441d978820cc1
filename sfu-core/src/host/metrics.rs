//! `GET /metrics` in the Prometheus text format.

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::AppState;
use crate::sfu::SfuStats;

pub(super) async fn serve(State(state): State<AppState>) -> impl IntoResponse {
    let stats = state.sfu.stats().await.unwrap_or_default();
    let mut body = render(&stats.sfu, state.started.elapsed().as_secs());
    let users = state.world.users().await;
    let link = *state.link_stats.borrow();
    let hub = state.hub.snapshot().await;
    let _ = writeln!(
        body,
        "# HELP hearth_interop_connected Whether the SFU's interop link is up.\n# TYPE hearth_interop_connected gauge\nhearth_interop_connected {}\n\
         # HELP hearth_interop_sent_total Interop messages the SFU sent.\n# TYPE hearth_interop_sent_total counter\nhearth_interop_sent_total {}\n\
         # HELP hearth_interop_dropped_total Interop events dropped while the link was down and the queue full.\n# TYPE hearth_interop_dropped_total counter\nhearth_interop_dropped_total {}\n\
         # HELP hearth_interop_reconnects_total Times the interop link (re)connected.\n# TYPE hearth_interop_reconnects_total counter\nhearth_interop_reconnects_total {}\n\
         # HELP hearth_interop_events_received_total media_presence events the main side applied.\n# TYPE hearth_interop_events_received_total counter\nhearth_interop_events_received_total {}",
        u8::from(link.connected),
        link.sent,
        link.dropped,
        link.reconnects,
        hub.events
    );
    let _ = writeln!(
        body,
        "# HELP hearth_world_users Users in the world.\n# TYPE hearth_world_users gauge\nhearth_world_users {users}"
    );
    let _ = writeln!(
        body,
        "# HELP hearth_sfu_worker_channels Channels placed on each SFU worker since start.\n# TYPE hearth_sfu_worker_channels gauge"
    );
    for (worker, channels) in state.sfu.channels_per_worker().iter().enumerate() {
        let _ = writeln!(
            body,
            "hearth_sfu_worker_channels{{worker=\"{worker}\"}} {channels}"
        );
    }
    body.push_str(&state.refusals.render());
    stats.forward_latency.render(
        &mut body,
        "hearth_sfu_forward_latency_seconds",
        "Time from a media datagram's receipt to the last datagram the SFU sent because of it.",
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}

/// Renders the SFU counters as Prometheus text.
pub fn render(stats: &SfuStats, uptime_s: u64) -> String {
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, value: u64| {
        let _ = writeln!(
            out,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    };
    metric(
        "hearth_uptime_seconds",
        "gauge",
        "Seconds since the host started.",
        uptime_s,
    );
    metric(
        "hearth_sfu_peers",
        "gauge",
        "Peers joined to the SFU.",
        stats.peers as u64,
    );
    metric(
        "hearth_sfu_channels",
        "gauge",
        "Voice channels with at least one peer.",
        stats.channels as u64,
    );
    metric(
        "hearth_sfu_packets_forwarded_total",
        "counter",
        "Media frames forwarded to receivers.",
        stats.packets_forwarded,
    );
    metric(
        "hearth_sfu_tracks_refused_total",
        "counter",
        "Tracks a peer declared but may not send (no permission for the kind, or too many).",
        stats.tracks_refused,
    );
    metric(
        "hearth_sfu_stranger_datagrams_total",
        "counter",
        "Datagrams from addresses no peer owns that were not ICE checks: dropped unread.",
        stats.stranger_datagrams,
    );
    metric(
        "hearth_sfu_bytes_forwarded_total",
        "counter",
        "Media payload bytes forwarded to receivers.",
        stats.bytes_forwarded,
    );
    let _ = writeln!(
        out,
        "# HELP hearth_sfu_join_failures_total Refused joins by reason.\n# TYPE hearth_sfu_join_failures_total counter"
    );
    for reason in [
        "invalid_message",
        "expected_join",
        "unauthorized",
        "forbidden",
        "blocked",
        "full",
    ] {
        let n = stats.join_failures.get(reason).copied().unwrap_or(0);
        let _ = writeln!(
            out,
            "hearth_sfu_join_failures_total{{reason=\"{reason}\"}} {n}"
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_family() {
        let mut stats = SfuStats {
            peers: 3,
            packets_forwarded: 10,
            ..Default::default()
        };
        stats.join_failures.insert("unauthorized", 2);
        let text = render(&stats, 5);
        assert!(text.contains("hearth_sfu_peers 3\n"), "{text}");
        assert!(
            text.contains("hearth_sfu_packets_forwarded_total 10\n"),
            "{text}"
        );
        assert!(
            text.contains("hearth_sfu_join_failures_total{reason=\"unauthorized\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("hearth_sfu_join_failures_total{reason=\"full\"} 0\n"),
            "{text}"
        );
    }
}
