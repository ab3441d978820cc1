//! The media plan, sans-IO: from what the world says (zone, topology, who stands where,
//! promotions) and what the media says (links up or failed, the SFU connected or lost, whose
//! voice already arrives through the SFU), decide which P2P links to open and close, when to join
//! and leave the SFU, and what to tell the world server.
//!
//! The switch to the SFU is make before break: links stay open until each peer's voice plays
//! through the SFU (or it left, or a grace period passed), so the listener hears no gap.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::{Duration, Instant};

use sfu_core::world::wire::{
    ClientMessage, IceFailed, Position, SfuConnected, SfuDisconnectReason, SfuDisconnected,
    WorldUserId, ZoneId,
};

use crate::p2p::link::LinkState;
use crate::p2p::plan::{AudioRange, ZoneMedia, distance, offers_first, wanted_peers};

/// How long P2P links may outlive the SFU connection when a peer's voice never shows up on
/// the SFU (a silent or muted peer).
pub const HANDOVER_GRACE: Duration = Duration::from_secs(8);
/// Wait before rejoining an SFU that dropped us, doubling per failure up to 30 s.
const SFU_RETRY_FIRST: Duration = Duration::from_secs(1);
const SFU_RETRY_MAX: Duration = Duration::from_secs(30);

/// A `PROMOTE_TO_SFU`: where to join.
#[derive(Debug, Clone, PartialEq)]
pub struct Promotion {
    pub zone: ZoneId,
    pub channel_id: Option<i64>,
    pub sfu_url: String,
    pub sfu_token: String,
}

/// TURN servers from `TURN_CREDENTIALS`.
#[derive(Debug, Clone, PartialEq)]
pub struct TurnServer {
    pub urls: Vec<String>,
    pub username: String,
    pub credential: String,
}

/// What the plan wants done.
#[derive(Debug, Clone, PartialEq)]
pub enum PlanAction {
    /// Open a P2P link to `peer` (through TURN when given).
    OpenLink {
        peer: WorldUserId,
        offers_first: bool,
        turn: Option<TurnServer>,
    },
    /// Close the link to `peer`.
    CloseLink {
        peer: WorldUserId,
        reason: &'static str,
    },
    /// Join the SFU.
    JoinSfu(Promotion),
    /// Leave the SFU.
    LeaveSfu,
    /// Send this to the world server.
    Send(ClientMessage),
    /// Hear `peer` at this proximity gain (0..1).
    SetProximity { peer: WorldUserId, gain: f32 },
}

#[derive(Debug, Clone, PartialEq)]
enum Sfu {
    Off,
    /// Waiting to join (after a failure) until `at`.
    Waiting {
        promotion: Promotion,
        at: Instant,
    },
    Joining {
        zone: ZoneId,
    },
    Connected {
        zone: ZoneId,
        since: Instant,
    },
}

#[derive(Debug, Clone)]
struct LinkInfo {
    state: LinkState,
    relayed: bool,
}

/// The plan for one user's media.
pub struct MediaPlan {
    me: WorldUserId,
    range: AudioRange,
    zone: Option<(ZoneId, ZoneMedia)>,
    position: Option<Position>,
    peers: BTreeMap<WorldUserId, Position>,
    links: BTreeMap<WorldUserId, LinkInfo>,
    /// Peers whose direct link failed, waiting for TURN credentials.
    awaiting_turn: BTreeSet<WorldUserId>,
    /// Peers whose direct link failed in this zone: later links to them use TURN.
    failed_direct: BTreeSet<WorldUserId>,
    /// Peers that failed even through TURN: not retried in this zone (their offers are still
    /// taken).
    unreachable: BTreeSet<WorldUserId>,
    turn: Option<TurnServer>,
    /// Every link goes through TURN (ICE transport policy "relay"): the user hides its address.
    relay_only: bool,
    sfu: Sfu,
    sfu_failures: u32,
    /// The user was kicked from the SFU: do not rejoin in this zone.
    sfu_barred: bool,
    proximity: BTreeMap<WorldUserId, f32>,
    actions: VecDeque<PlanAction>,
}

impl MediaPlan {
    pub fn new(me: WorldUserId, range: AudioRange) -> Self {
        Self {
            me,
            range,
            zone: None,
            position: None,
            peers: BTreeMap::new(),
            links: BTreeMap::new(),
            awaiting_turn: BTreeSet::new(),
            failed_direct: BTreeSet::new(),
            unreachable: BTreeSet::new(),
            turn: None,
            relay_only: false,
            sfu: Sfu::Off,
            sfu_failures: 0,
            sfu_barred: false,
            proximity: BTreeMap::new(),
            actions: VecDeque::new(),
        }
    }

    /// Sends every link through TURN from the next zone on (see [`MediaPlan::entered_zone`]).
    pub fn set_relay_only(&mut self, relay_only: bool) {
        self.relay_only = relay_only;
    }

    /// This user.
    pub fn me(&self) -> &WorldUserId {
        &self.me
    }

    pub fn poll_action(&mut self) -> Option<PlanAction> {
        self.actions.pop_front()
    }

    /// When [`MediaPlan::tick`] must run next at the latest.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match &self.sfu {
            Sfu::Waiting { at, .. } => Some(*at),
            Sfu::Connected { since, .. } if !self.links.is_empty() => Some(*since + HANDOVER_GRACE),
            _ => None,
        }
    }

    /// The user entered a zone (world entry, zone transition, reconnect): a fresh snapshot.
    pub fn entered_zone(
        &mut self,
        zone: ZoneId,
        media: ZoneMedia,
        position: Option<Position>,
        peers: impl IntoIterator<Item = (WorldUserId, Position)>,
    ) {
        let same = self.zone.as_ref().is_some_and(|(z, _)| *z == zone);
        if !same {
            self.leave_sfu(SfuDisconnectReason::Manual);
            self.sfu_barred = false;
            self.sfu_failures = 0;
            self.unreachable.clear();
            self.failed_direct.clear();
            self.awaiting_turn.clear();
            if self.relay_only {
                // No direct path to anyone, by choice: credentials before the first link, and
                // the zone counts this user as a TURN user (the promotion rule). The seed names
                // no request for credentials but ICE_FAILED; this one names the user itself.
                self.actions
                    .push_back(PlanAction::Send(ClientMessage::IceFailed(IceFailed {
                        peer_id: self.me.clone(),
                    })));
            }
        }
        self.zone = Some((zone, media));
        if position.is_some() {
            self.position = position;
        }
        self.peers = peers.into_iter().filter(|(id, _)| *id != self.me).collect();
        self.replan();
    }

    /// The zone's topology changed (a promotion announced it).
    pub fn topology_changed(&mut self, media: ZoneMedia) {
        if let Some((_, m)) = &mut self.zone {
            *m = media;
        }
    }

    pub fn peer_joined(&mut self, peer: WorldUserId, at: Position) {
        if peer != self.me {
            self.peers.insert(peer, at);
            self.replan();
        }
    }

    pub fn peer_left(&mut self, peer: &WorldUserId) {
        self.peers.remove(peer);
        self.replan();
    }

    pub fn peer_moved(&mut self, peer: &WorldUserId, at: Position) {
        if let Some(p) = self.peers.get_mut(peer) {
            *p = at;
            self.replan();
        }
    }

    /// This user moved (predicted) or was put back.
    pub fn moved(&mut self, at: Position) {
        self.position = Some(at);
        self.replan();
    }

    /// `PROMOTE_TO_SFU` for this user's zone.
    pub fn promoted(&mut self, now: Instant, promotion: Promotion) {
        let Some((zone, media)) = &mut self.zone else {
            return;
        };
        if *zone != promotion.zone || self.sfu_barred {
            return;
        }
        media.topology = sfu_core::world::wire::MediaTopology::Sfu;
        match &self.sfu {
            Sfu::Joining { .. } | Sfu::Connected { .. } => {}
            Sfu::Off | Sfu::Waiting { .. } if self.sfu_failures == 0 => {
                self.sfu = Sfu::Joining {
                    zone: promotion.zone.clone(),
                };
                self.actions.push_back(PlanAction::JoinSfu(promotion));
            }
            Sfu::Off | Sfu::Waiting { .. } => {
                let delay = SFU_RETRY_FIRST
                    .saturating_mul(1 << self.sfu_failures.min(5).saturating_sub(1))
                    .min(SFU_RETRY_MAX);
                self.sfu = Sfu::Waiting {
                    promotion,
                    at: now + delay,
                };
            }
        }
    }

    /// The SFU session is up and media flows.
    pub fn sfu_connected(&mut self, now: Instant) {
        if let Sfu::Joining { zone } = &self.sfu {
            let zone = zone.clone();
            self.actions
                .push_back(PlanAction::Send(ClientMessage::SfuConnected(
                    SfuConnected {
                        zone_id: zone.clone(),
                    },
                )));
            self.sfu = Sfu::Connected { zone, since: now };
            self.sfu_failures = 0;
        }
    }

    /// The SFU session ended by itself. `kicked`: removed by a moderator (no rejoin).
    pub fn sfu_ended(&mut self, kicked: bool) {
        let zone = match &self.sfu {
            Sfu::Joining { zone } | Sfu::Connected { zone, .. } => zone.clone(),
            Sfu::Off | Sfu::Waiting { .. } => return,
        };
        self.sfu = Sfu::Off;
        if kicked {
            self.sfu_barred = true;
            return;
        }
        self.sfu_failures += 1;
        // The server answers with a fresh PROMOTE_TO_SFU.
        self.actions
            .push_back(PlanAction::Send(ClientMessage::SfuDisconnected(
                SfuDisconnected {
                    zone_id: zone,
                    reason: SfuDisconnectReason::Error,
                },
            )));
    }

    /// Whether the SFU is joined and connected.
    pub fn on_sfu(&self) -> bool {
        matches!(self.sfu, Sfu::Connected { .. })
    }

    /// A link reported its state.
    pub fn link_state(&mut self, peer: &WorldUserId, state: LinkState) {
        let Some(info) = self.links.get_mut(peer) else {
            return;
        };
        info.state = state;
        match state {
            LinkState::Failed => {
                let relayed = info.relayed;
                self.links.remove(peer);
                self.actions.push_back(PlanAction::CloseLink {
                    peer: peer.clone(),
                    reason: "ice failed",
                });
                self.failed_direct.insert(peer.clone());
                if relayed {
                    self.unreachable.insert(peer.clone());
                } else if let Some(turn) = self.turn.clone() {
                    self.open(peer.clone(), Some(turn));
                } else {
                    self.awaiting_turn.insert(peer.clone());
                    self.actions
                        .push_back(PlanAction::Send(ClientMessage::IceFailed(IceFailed {
                            peer_id: peer.clone(),
                        })));
                }
            }
            LinkState::Closed => {
                // The other side hung up; reopen later if still wanted.
                self.links.remove(peer);
                self.actions.push_back(PlanAction::CloseLink {
                    peer: peer.clone(),
                    reason: "closed by peer",
                });
            }
            LinkState::Connecting | LinkState::Connected => {}
        }
    }

    /// TURN servers to use for `peer`: once a direct link to it failed, or always when relay
    /// only.
    fn turn_for(&self, peer: &WorldUserId) -> Option<TurnServer> {
        self.turn
            .clone()
            .filter(|_| self.relay_only || self.failed_direct.contains(peer))
    }

    /// `TURN_CREDENTIALS` arrived.
    pub fn turn_credentials(&mut self, turn: TurnServer) {
        self.turn = Some(turn.clone());
        for peer in std::mem::take(&mut self.awaiting_turn) {
            if self.peers.contains_key(&peer) && !self.links.contains_key(&peer) {
                self.open(peer, Some(turn.clone()));
            }
        }
    }

    /// An offer arrived from `peer`. Returns whether to hand it to a link; opens (or replaces)
    /// the link as needed first: an offer to a link past its first exchange starts a new
    /// connection (the peer closed and reopened its side).
    pub fn offer_arrived(&mut self, peer: &WorldUserId) -> bool {
        let on_sfu = self.zone.as_ref().is_some_and(|(_, m)| m.on_sfu());
        if on_sfu || !self.peers.contains_key(peer) {
            return false;
        }
        match self.links.get(peer).map(|l| l.state) {
            Some(LinkState::Connecting) => true,
            Some(_) => {
                // A new connection from a peer whose old one we still hold: start over.
                self.links.remove(peer);
                self.actions.push_back(PlanAction::CloseLink {
                    peer: peer.clone(),
                    reason: "replaced",
                });
                self.answer(peer.clone());
                true
            }
            None => {
                self.answer(peer.clone());
                true
            }
        }
    }

    /// Whether there is a link to `peer`.
    pub fn has_link(&self, peer: &WorldUserId) -> bool {
        self.links.contains_key(peer)
    }

    /// Runs the handover and timers. `heard_via_sfu(peer)`: whether that peer's voice already
    /// plays through the SFU.
    pub fn tick(&mut self, now: Instant, heard_via_sfu: impl Fn(&WorldUserId) -> bool) {
        if let Sfu::Waiting { at, promotion } = &self.sfu
            && now >= *at
        {
            let promotion = promotion.clone();
            self.sfu = Sfu::Joining {
                zone: promotion.zone.clone(),
            };
            self.actions.push_back(PlanAction::JoinSfu(promotion));
        }
        self.replan();
        if let Sfu::Connected { since, .. } = self.sfu {
            let expired = now >= since + HANDOVER_GRACE;
            let done: Vec<WorldUserId> = self
                .links
                .keys()
                .filter(|p| expired || heard_via_sfu(p) || !self.peers.contains_key(*p))
                .cloned()
                .collect();
            for peer in done {
                self.links.remove(&peer);
                self.actions.push_back(PlanAction::CloseLink {
                    peer,
                    reason: "handed over to the SFU",
                });
            }
        }
    }

    /// Opens a link that answers the offer that just arrived (whoever's id is smaller): it
    /// makes no offer of its own and is the polite side.
    fn answer(&mut self, peer: WorldUserId) {
        let turn = self.turn_for(&peer);
        self.open_link(peer, false, turn);
    }

    /// Opens a link for the plan: the smaller id offers.
    fn open(&mut self, peer: WorldUserId, turn: Option<TurnServer>) {
        let offers = offers_first(&self.me, &peer);
        self.open_link(peer, offers, turn);
    }

    fn open_link(&mut self, peer: WorldUserId, offers_first: bool, turn: Option<TurnServer>) {
        if self.relay_only && turn.is_none() {
            // Opened once the credentials come (`turn_credentials`).
            self.awaiting_turn.insert(peer);
            return;
        }
        self.links.insert(
            peer.clone(),
            LinkInfo {
                state: LinkState::Connecting,
                relayed: turn.is_some(),
            },
        );
        self.actions.push_back(PlanAction::OpenLink {
            peer,
            offers_first,
            turn,
        });
    }

    fn leave_sfu(&mut self, reason: SfuDisconnectReason) {
        let zone = match std::mem::replace(&mut self.sfu, Sfu::Off) {
            Sfu::Joining { zone } | Sfu::Connected { zone, .. } => zone,
            Sfu::Off | Sfu::Waiting { .. } => return,
        };
        self.actions.push_back(PlanAction::LeaveSfu);
        self.actions
            .push_back(PlanAction::Send(ClientMessage::SfuDisconnected(
                SfuDisconnected {
                    zone_id: zone,
                    reason,
                },
            )));
    }

    /// Opens and closes links to match where everyone stands, and sets proximity gains.
    fn replan(&mut self) {
        let (Some((_, media)), Some(me)) =
            (self.zone.as_ref().map(|(z, m)| (z, *m)), self.position)
        else {
            return;
        };
        if !media.on_sfu() {
            let connected: BTreeSet<WorldUserId> = self.links.keys().cloned().collect();
            let wanted = wanted_peers(
                media,
                me,
                self.peers.iter().map(|(id, at)| (id, *at)),
                &connected,
                &self.range,
            );
            for peer in connected.difference(&wanted) {
                self.links.remove(peer);
                self.actions.push_back(PlanAction::CloseLink {
                    peer: peer.clone(),
                    reason: "out of range",
                });
            }
            for peer in wanted.difference(&connected) {
                if !self.awaiting_turn.contains(peer) && !self.unreachable.contains(peer) {
                    self.open(peer.clone(), self.turn_for(peer));
                }
            }
        } else if !matches!(self.sfu, Sfu::Connected { .. }) {
            // Promoted but not on the SFU yet: keep the links we have (make before break), drop
            // those to peers who left.
            let gone: Vec<WorldUserId> = self
                .links
                .keys()
                .filter(|p| !self.peers.contains_key(*p))
                .cloned()
                .collect();
            for peer in gone {
                self.links.remove(&peer);
                self.actions.push_back(PlanAction::CloseLink {
                    peer,
                    reason: "left the zone",
                });
            }
        }
        let proximity = media.proximity();
        for (peer, at) in &self.peers {
            let gain = if proximity {
                self.range.curve.gain(distance(me, *at))
            } else {
                1.0
            };
            let old = self.proximity.insert(peer.clone(), gain);
            if old.is_none_or(|g| (g - gain).abs() > 0.01) {
                self.actions.push_back(PlanAction::SetProximity {
                    peer: peer.clone(),
                    gain,
                });
            }
        }
        let peers = &self.peers;
        self.proximity.retain(|p, _| peers.contains_key(p));
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
