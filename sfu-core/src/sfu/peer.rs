//! One joined connection on the SFU: its str0m `Rtc`, the tracks it sends us, the tracks we
//! forward to it, and its offer/answer state.

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use str0m::change::{SdpAnswer, SdpOffer, SdpPendingOffer};
use str0m::media::{Direction, KeyframeRequestKind, MediaKind, Mid};
use str0m::rtp::Ssrc;
use str0m::{Rtc, RtcError};

use super::ConnId;
use super::route::SeqRewrite;
use super::uplink::{Link, OrtcSide};
use crate::ids::{ChannelId, UserId};
use crate::perms::Permissions;

/// How long a level-derived speaking state holds after the last loud packet.
const SPEAKING_HANGOVER: Duration = Duration::from_millis(400);

/// A track some peer sends us: the sending connection and the m-line it arrives on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TrackKey {
    pub conn: ConnId,
    pub mid: Mid,
}

/// A track we forward to this peer, and where its m-line is in the offer/answer cycle.
#[derive(Debug)]
pub struct TrackOut {
    pub source: TrackKey,
    pub source_user: UserId,
    pub kind: MediaKind,
    pub state: TrackOutState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackOutState {
    /// Needs an m-line in the next offer.
    ToOpen,
    /// In an offer that awaits its answer.
    Negotiating(Mid),
    /// Negotiated: media flows on this mid.
    Open(Mid),
    /// The source went away: stop the m-line in the next offer.
    ToStop(Mid),
    /// Stopped in an offer that awaits its answer.
    NegotiatingStop(Mid),
}

impl TrackOut {
    pub fn open_mid(&self) -> Option<Mid> {
        match self.state {
            TrackOutState::Open(mid) => Some(mid),
            _ => None,
        }
    }
}

/// The SFU's side of the offer/answer exchange with one peer.
enum Negotiation {
    Stable,
    AwaitingAnswer {
        pending: SdpPendingOffer,
        /// The recvonly m-lines this offer adds for the client to send on.
        uplinks: Vec<(Mid, MediaKind)>,
    },
}

/// What an accepted answer changed.
#[derive(Debug, Default)]
pub struct AnswerOutcome {
    /// Forwarded video tracks that just opened: their sources owe a keyframe.
    pub opened_video: Vec<TrackKey>,
    /// Our recvonly m-lines the client now sends on.
    pub sending: Vec<(Mid, MediaKind)>,
}

/// Why an offer or answer from the client could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum SdpError {
    /// The SDP text did not parse.
    #[error("unparseable SDP: {0}")]
    Parse(String),
    /// str0m refused the description.
    #[error("SDP not applicable: {0}")]
    Rejected(#[from] RtcError),
    /// An answer arrived while we had no offer out.
    #[error("answer without an outstanding offer")]
    NoOfferOut,
}

/// Remote ICE candidates one peer may give: a host, a reflexive and a relay candidate per
/// interface and protocol, for a few interfaces, with room to spare.
pub const MAX_REMOTE_CANDIDATES: usize = 32;

pub struct Peer {
    pub conn: ConnId,
    pub user: UserId,
    pub channel: ChannelId,
    pub perms: Permissions,
    pub rtc: Rtc,
    pub tracks_in: Vec<(Mid, MediaKind)>,
    pub tracks_out: Vec<TrackOut>,
    pub self_muted: bool,
    pub speaking: bool,
    /// True once the client sent any speaking event: then audio levels no longer drive it.
    pub speaking_is_explicit: bool,
    /// Last audio packet loud enough to count as speech (level-derived speaking only).
    pub last_loud: Option<Instant>,
    pub local_mutes: HashSet<UserId>,
    /// Sequence number and timestamp rewriting of each stream forwarded to this peer.
    pub rewrites: HashMap<Ssrc, SeqRewrite>,
    /// When the peer's `Rtc` next wants `Input::Timeout`.
    pub rtc_timeout: Instant,
    /// Remote ICE candidates taken so far (capped: each is checked by ICE).
    pub remote_candidates: usize,
    negotiation: Negotiation,
    /// When the next coalesced offer is due, if one is wanted.
    offer_due: Option<Instant>,
    /// The m-lines the client sends on are negotiated (ours from the first offer, or its own).
    uplink_negotiated: bool,
    last_keyframe_request: Option<Instant>,
    /// A dspeak (`/socket`) client's send transport and session; None for `/signal` peers.
    pub ortc: Option<OrtcSide>,
}

impl Peer {
    pub fn new(
        conn: ConnId,
        user: UserId,
        channel: ChannelId,
        perms: Permissions,
        rtc: Rtc,
        now: Instant,
    ) -> Self {
        Self {
            conn,
            user,
            channel,
            perms,
            rtc,
            tracks_in: Vec::new(),
            tracks_out: Vec::new(),
            self_muted: false,
            speaking: false,
            speaking_is_explicit: false,
            last_loud: None,
            local_mutes: HashSet::new(),
            rewrites: HashMap::new(),
            rtc_timeout: now,
            remote_candidates: 0,
            negotiation: Negotiation::Stable,
            offer_due: Some(now),
            uplink_negotiated: false,
            last_keyframe_request: None,
            ortc: None,
        }
    }

    /// Makes this a dspeak peer: no SDP offers; forwarded tracks come from its `consume`s.
    pub fn set_ortc(&mut self, ortc: OrtcSide) {
        self.ortc = Some(ortc);
        self.offer_due = None;
    }

    /// The earliest time this peer needs [`super::Sfu::handle_timeout`].
    pub fn next_deadline(&self) -> Instant {
        [
            self.ortc.as_ref().map(|o| o.uplink_timeout),
            self.offer_due(),
            self.speaking_deadline(),
        ]
        .into_iter()
        .flatten()
        .fold(self.rtc_timeout, Instant::min)
    }

    /// When a level-derived speaking state ends, if it is on.
    pub fn speaking_deadline(&self) -> Option<Instant> {
        if self.speaking_is_explicit || !self.speaking {
            return None;
        }
        self.last_loud.map(|t| t + SPEAKING_HANGOVER)
    }

    /// Asks for an offer within `coalesce`, keeping an earlier deadline if one is set.
    pub fn want_offer(&mut self, now: Instant, coalesce: Duration) {
        if self.ortc.is_some() {
            return;
        }
        let due = now + coalesce;
        self.offer_due = Some(self.offer_due.map_or(due, |d| d.min(due)));
    }

    pub fn offer_due(&self) -> Option<Instant> {
        match self.negotiation {
            Negotiation::Stable => self.offer_due,
            Negotiation::AwaitingAnswer { .. } => None,
        }
    }

    /// Builds the next offer if one is due and the peer is stable. `source_alive` says whether
    /// a forwarded track's source still exists. Returns the SDP to send.
    pub fn make_offer(
        &mut self,
        now: Instant,
        source_alive: impl Fn(&TrackKey) -> bool,
    ) -> Option<String> {
        if self.offer_due.is_none_or(|due| due > now)
            || !matches!(self.negotiation, Negotiation::Stable)
        {
            return None;
        }
        self.offer_due = None;
        self.tracks_out.retain_mut(|t| {
            if source_alive(&t.source) {
                return true;
            }
            match t.state {
                TrackOutState::Open(mid) => {
                    t.state = TrackOutState::ToStop(mid);
                    true
                }
                TrackOutState::ToOpen => false,
                _ => true,
            }
        });
        let mut api = self.rtc.sdp_api();
        let mut uplinks = Vec::new();
        if !self.uplink_negotiated {
            // The client sends on m-lines we offer as recvonly: a browser's addTrack reuses them.
            let mid = api.add_media(MediaKind::Audio, Direction::RecvOnly, None, None, None);
            uplinks.push((mid, MediaKind::Audio));
            if self.perms.allows(Permissions::VOICE_VIDEO) {
                let mid = api.add_media(MediaKind::Video, Direction::RecvOnly, None, None, None);
                uplinks.push((mid, MediaKind::Video));
            }
        }
        for track in &mut self.tracks_out {
            match track.state {
                TrackOutState::ToOpen => {
                    let stream = format!("user-{}", track.source_user);
                    let track_id = format!("{}-{}", track.source_user, track.source.mid);
                    let mid = api.add_media(
                        track.kind,
                        Direction::SendOnly,
                        Some(stream),
                        Some(track_id),
                        None,
                    );
                    track.state = TrackOutState::Negotiating(mid);
                }
                TrackOutState::ToStop(mid) => {
                    api.stop_media(mid);
                    track.state = TrackOutState::NegotiatingStop(mid);
                }
                _ => {}
            }
        }
        let (offer, pending) = api.apply()?;
        self.negotiation = Negotiation::AwaitingAnswer { pending, uplinks };
        Some(offer.to_sdp_string())
    }

    /// Applies the client's answer to our offer.
    pub fn accept_answer(&mut self, sdp: &str, now: Instant) -> Result<AnswerOutcome, SdpError> {
        let answer = SdpAnswer::from_sdp_string(sdp).map_err(|e| SdpError::Parse(e.to_string()))?;
        let Negotiation::AwaitingAnswer { pending, uplinks } =
            std::mem::replace(&mut self.negotiation, Negotiation::Stable)
        else {
            return Err(SdpError::NoOfferOut);
        };
        if let Err(e) = self.rtc.sdp_api().accept_answer(pending, answer) {
            // The offer is void either way; renegotiate from scratch.
            self.rollback_pending();
            self.offer_due = Some(now);
            return Err(e.into());
        }
        // str0m reports MediaAdded only for m-lines of remote offers; our own recvonly m-lines
        // carry media once the answer says the client sends on them.
        let sending: Vec<(Mid, MediaKind)> = uplinks
            .iter()
            .copied()
            .filter(|(mid, _)| {
                self.rtc
                    .media(*mid)
                    .is_some_and(|m| m.direction().is_receiving())
            })
            // Some stacks (webrtc-rs 0.21) answer sendonly on every m-line they could send on,
            // track or not; only an m-line that names a track carries media.
            .filter(|(mid, _)| section_names_a_track(sdp, &mid.to_string()))
            .collect();
        self.uplink_negotiated |= !uplinks.is_empty();
        let mut opened_video = Vec::new();
        for track in &mut self.tracks_out {
            if let TrackOutState::Negotiating(mid) = track.state {
                track.state = TrackOutState::Open(mid);
                if track.kind == MediaKind::Video {
                    opened_video.push(track.source);
                }
            }
        }
        self.tracks_out
            .retain(|t| !matches!(t.state, TrackOutState::NegotiatingStop(_)));
        if self.has_pending_changes() {
            // The topology moved on while the offer was out: offer again now.
            self.offer_due = Some(now);
        }
        Ok(AnswerOutcome {
            opened_video,
            sending,
        })
    }

    /// Applies an offer from the client. On glare the SFU is the polite side: its own offer is
    /// rolled back and re-made after this exchange. Returns the answer SDP.
    pub fn accept_offer(&mut self, sdp: &str, now: Instant) -> Result<String, SdpError> {
        let offer = SdpOffer::from_sdp_string(sdp).map_err(|e| SdpError::Parse(e.to_string()))?;
        let had_offer_out = matches!(self.negotiation, Negotiation::AwaitingAnswer { .. });
        self.negotiation = Negotiation::Stable;
        if had_offer_out {
            self.rollback_pending();
        }
        let answer = self.rtc.sdp_api().accept_offer(offer)?;
        self.uplink_negotiated = true;
        if had_offer_out || self.has_pending_changes() {
            self.offer_due = Some(now);
        }
        Ok(answer.to_sdp_string())
    }

    /// Puts m-lines of a voided offer back to their pre-offer states.
    fn rollback_pending(&mut self) {
        for track in &mut self.tracks_out {
            track.state = match track.state {
                TrackOutState::Negotiating(_) => TrackOutState::ToOpen,
                TrackOutState::NegotiatingStop(mid) => TrackOutState::ToStop(mid),
                other => other,
            };
        }
    }

    fn has_pending_changes(&self) -> bool {
        self.tracks_out
            .iter()
            .any(|t| matches!(t.state, TrackOutState::ToOpen | TrackOutState::ToStop(_)))
    }

    /// Starts forwarding a new source track to this peer (m-line in the next offer).
    /// dspeak peers take tracks only through `consume`.
    pub fn add_track_out(&mut self, source: TrackKey, source_user: UserId, kind: MediaKind) {
        if self.ortc.is_some() || self.tracks_out.iter().any(|t| t.source == source) {
            return;
        }
        self.tracks_out.push(TrackOut {
            source,
            source_user,
            kind,
            state: TrackOutState::ToOpen,
        });
    }

    /// Asks this peer (a sender) for a keyframe on one of its tracks, at most once a second.
    pub fn request_keyframe(&mut self, mid: Mid, now: Instant) {
        if self
            .last_keyframe_request
            .is_some_and(|t| now.duration_since(t) < Duration::from_secs(1))
        {
            return;
        }
        if let Some(stream) = self.rtc.direct_api().stream_rx_by_mid(mid, None) {
            stream.request_keyframe(KeyframeRequestKind::Pli);
            self.last_keyframe_request = Some(now);
        }
    }

    /// The forwarded track on `mid`, if any (for keyframe requests from this receiver).
    pub fn track_out_on(&self, mid: Mid) -> Option<&TrackOut> {
        self.tracks_out.iter().find(|t| t.open_mid() == Some(mid))
    }
}

impl Peer {
    /// Whether the `link` `Rtc` of this peer takes `input` (a dspeak client has two).
    pub fn accepts(&self, link: Link, input: &str0m::Input<'_>) -> bool {
        match (link, &self.ortc) {
            (Link::Main, _) => self.rtc.accepts(input),
            (Link::Uplink, Some(ortc)) => ortc.uplink.accepts(input),
            (Link::Uplink, None) => false,
        }
    }
}

/// Whether the m-section with `a=mid:<mid>` in `sdp` announces a track (`a=msid` or `a=ssrc`).
fn section_names_a_track(sdp: &str, mid: &str) -> bool {
    let wanted = format!("a=mid:{mid}");
    sdp.split("\nm=").any(|section| {
        let mut lines = section.lines().map(str::trim);
        let has_mid = lines.clone().any(|l| l == wanted);
        has_mid && lines.any(|l| l.starts_with("a=msid:") || l.starts_with("a=ssrc:"))
    })
}

#[cfg(test)]
mod sdp_tests {
    use super::section_names_a_track;

    #[test]
    fn only_sections_with_a_track_count_as_sending() {
        let sdp = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:abc\r\na=msid:s t\r\na=sendonly\r\n\
                   m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:vid\r\na=sendonly\r\n";
        assert!(section_names_a_track(sdp, "abc"));
        assert!(
            !section_names_a_track(sdp, "vid"),
            "sendonly without a track is not a producer"
        );
        assert!(!section_names_a_track(sdp, "nope"));
    }
}
