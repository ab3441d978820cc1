//! Limits on what a WebSocket peer may send, each with its reason, and the count of refusals
//! (`hearth_refused_total` in `/metrics`).
//!
//! tungstenite buffers a whole message (and each frame) before the shell sees it, so the caps are
//! set on the socket itself: a larger message or frame is never buffered, and the connection is
//! closed with 1009 ("message too big"). Before a `/world` or `/signal` client has signed in, a
//! smaller cap applies in the shell: a stranger gets a few KiB, not an offer's worth.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::ws::Ending;

/// `/world`: the largest legitimate message is a relayed SDP offer or answer of one P2P audio
/// link with its candidates (a few KiB); 64 KiB leaves room for long candidate lists.
pub const WORLD_MESSAGE: usize = 64 * 1024;
/// `/signal`: a client offer for a full room, about 400 bytes per m-line, with room for 250
/// m-lines (the SFU caps m-lines well below that).
pub const SIGNAL_MESSAGE: usize = 128 * 1024;
/// `/socket`: mediasoup's requests; the largest carries RTP capabilities (about 10 KiB).
pub const DSPEAK_MESSAGE: usize = 64 * 1024;
/// `/dspeak/interop`: an SFU's presence resync for every user it holds (about 200 bytes each).
pub const INTEROP_MESSAGE: usize = 1024 * 1024;
/// Before sign-in (`/world`'s `CONNECT`, `/signal`'s join): a token and a name are under 2 KiB.
pub const BEFORE_SIGN_IN: usize = 4 * 1024;

/// The close code for a message over a limit (RFC 6455: "message too big").
pub const TOO_BIG: u16 = 1009;

/// The endpoints whose refusals are counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    World,
    Signal,
    Dspeak,
}

impl Endpoint {
    const ALL: [Endpoint; 3] = [Endpoint::World, Endpoint::Signal, Endpoint::Dspeak];

    fn name(self) -> &'static str {
        match self {
            Endpoint::World => "world",
            Endpoint::Signal => "signal",
            Endpoint::Dspeak => "socket",
        }
    }
}

/// Connections closed for a message over a limit, per endpoint.
#[derive(Debug, Default)]
pub struct Refusals {
    too_big: [AtomicU64; 3],
    connections: AtomicU64,
}

impl Refusals {
    /// A TCP connection over the per-address or total cap (`host/listener.rs`).
    pub fn count_connection_refused(&self) {
        self.connections.fetch_add(1, Ordering::Relaxed);
    }

    pub fn count_too_big(&self, endpoint: Endpoint) {
        self.too_big[endpoint as usize].fetch_add(1, Ordering::Relaxed);
    }

    pub fn too_big(&self, endpoint: Endpoint) -> u64 {
        self.too_big[endpoint as usize].load(Ordering::Relaxed)
    }

    /// The counters in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::from(
            "# HELP hearth_refused_total Connections closed for going over a limit.\n\
             # TYPE hearth_refused_total counter\n",
        );
        for endpoint in Endpoint::ALL {
            out.push_str(&format!(
                "hearth_refused_total{{endpoint=\"{}\",limit=\"message_size\"}} {}\n",
                endpoint.name(),
                self.too_big(endpoint)
            ));
        }
        out.push_str(&format!(
            "hearth_refused_total{{endpoint=\"http\",limit=\"connections\"}} {}\n",
            self.connections.load(Ordering::Relaxed)
        ));
        out
    }
}

/// What a connection shell needs to enforce the limits and count its refusals.
#[derive(Debug, Clone)]
pub struct Guard {
    pub endpoint: Endpoint,
    pub refusals: Arc<Refusals>,
}

impl Guard {
    /// How a connection ends after its socket failed with `error`.
    pub fn ending_for(&self, error: &impl std::fmt::Display) -> Ending {
        if is_too_big(error) {
            self.refuse_too_big()
        } else {
            Ending::Gone
        }
    }

    /// Closes a connection whose message is over a limit (counted).
    pub fn refuse_too_big(&self) -> Ending {
        self.refusals.count_too_big(self.endpoint);
        Ending::close(TOO_BIG, "message too big")
    }
}

/// Whether a socket error is tungstenite refusing a message or frame over its cap (the error
/// type is opaque through axum; its text names the limit).
pub fn is_too_big(error: &impl std::fmt::Display) -> bool {
    let text = error.to_string();
    text.contains("Space limit exceeded") || text.contains("too long") || text.contains("too big")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_are_counted_per_endpoint_and_rendered() {
        let refusals = Refusals::default();
        refusals.count_too_big(Endpoint::Signal);
        refusals.count_too_big(Endpoint::Signal);
        let text = refusals.render();
        assert!(
            text.contains("hearth_refused_total{endpoint=\"signal\",limit=\"message_size\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("hearth_refused_total{endpoint=\"world\",limit=\"message_size\"} 0\n"),
            "{text}"
        );
    }

    #[test]
    fn only_a_size_error_counts_as_too_big() {
        assert!(is_too_big(
            &"Space limit exceeded: Message too long: 70000 > 65536"
        ));
        assert!(!is_too_big(&"Connection reset without closing handshake"));
    }
}
