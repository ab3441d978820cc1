//! What a dspeak (`/socket`) client's peer has beyond a `/signal` peer's: its send transport
//! (a second `Rtc`, the uplink) and the state of its mediasoup-style transports. A leaf of the
//! SFU's modules: [`Peer`](super::peer::Peer) holds it and [`ortc`](super::ortc) drives it, and
//! it imports neither.

use std::time::Instant;

use str0m::Rtc;
use str0m::media::Mid;

use crate::dspeak::Direction;
use crate::dspeak::ortc::RtpCapabilities;

/// Which of a peer's `Rtc`s: the main one, or a dspeak client's send transport.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Link {
    Main,
    Uplink,
}

/// What a dspeak client has on top of a `/signal` peer.
pub struct OrtcSide {
    /// The send transport: the client produces on it.
    pub uplink: Rtc,
    /// When the uplink next wants `Input::Timeout`.
    pub uplink_timeout: Instant,
    /// Transports handed out (`create-transport`), in the order the client asked.
    pub(super) created: Vec<Direction>,
    /// Transports whose DTLS has started (`connect-transport`).
    pub(super) connected: Vec<Direction>,
    /// The device's capabilities from `client-rtp-capabilities` (or the last `consume`).
    pub(super) capabilities: Option<RtpCapabilities>,
    /// The client's producer: its m-line and SSRC on the uplink. A new `produce` replaces it.
    pub(super) producer: Option<(Mid, u32)>,
    /// Consumers made so far (names the next consumer's mid).
    pub(super) consumers_made: u32,
    /// Whether each link knows the client's ICE ufrag yet (see [`learn_remote_ufrag`]).
    pub(super) ufrag_known: [bool; 2],
}

impl OrtcSide {
    pub fn new(uplink: Rtc, now: Instant) -> Self {
        Self {
            uplink,
            uplink_timeout: now,
            created: Vec::new(),
            connected: Vec::new(),
            capabilities: None,
            producer: None,
            consumers_made: 0,
            ufrag_known: [false; 2],
        }
    }

    /// Learns the client's ufrag for `link` from `datagram` if it is still unknown.
    pub fn learn_ufrag(&mut self, main: &mut Rtc, link: Link, datagram: &[u8]) {
        let slot = usize::from(link == Link::Uplink);
        if self.ufrag_known[slot] {
            return;
        }
        let rtc = match link {
            Link::Main => main,
            Link::Uplink => &mut self.uplink,
        };
        self.ufrag_known[slot] = learn_remote_ufrag(rtc, datagram);
    }
}

/// Sets the remote ICE ufrag of an ICE-lite transport from a STUN binding request addressed to
/// it (`USERNAME` is `<our ufrag>:<their ufrag>`, RFC 8445 section 7.2.2). Replies are signed
/// with our own password only, so the remote password is never needed.
/// Returns whether it learned one.
pub fn learn_remote_ufrag(rtc: &mut Rtc, datagram: &[u8]) -> bool {
    let Ok(message) = str0m::ice::StunMessage::parse(datagram) else {
        return false;
    };
    let Some((local, remote)) = message.split_username() else {
        return false;
    };
    let mut api = rtc.direct_api();
    if local != api.local_ice_credentials().ufrag || remote.is_empty() {
        return false;
    }
    api.set_remote_ice_credentials(str0m::IceCreds {
        ufrag: remote.to_owned(),
        pass: String::new(),
    });
    true
}
