//! One P2P connection to another user of the zone, as a task: a webrtc peer connection that
//! carries this user's voice (an output of the [`VoiceEngine`]) and brings the peer's voice into
//! it, negotiated over the world relay with perfect negotiation (base64 SDP, trickle ICE).

use std::net::IpAddr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use rtc::peer_connection::configuration::RTCIceServer;
use rtc::peer_connection::transport::RTCIceCandidateInit;
use serde_json::Value;
use sfu_core::world::wire::{ClientMessage, IceToPeer, SdpToPeer, WorldUserId};
use tokio::sync::mpsc;
use webrtc::peer_connection::RTCPeerConnectionState;

use super::negotiation::{Negotiation, OfferVerdict};
use crate::media::downlink;
use crate::media::peer::{MediaPeer, PeerEvent};
use crate::voice::{Path, VoiceEngine};

/// How a link is set up.
pub struct LinkConfig {
    pub peer: WorldUserId,
    /// The peer's id on the audio side (the SFU-style user id its voice is keyed by).
    pub peer_voice: i64,
    /// Whether we make the first offer.
    pub offers_first: bool,
    /// TURN servers, after a direct attempt failed (or always, relay only).
    pub ice_servers: Vec<RTCIceServer>,
    /// Only relayed candidates (the user hides its address).
    pub relay_only: bool,
    pub bind_ip: IpAddr,
}

/// What the session tells a link.
#[derive(Debug)]
pub enum LinkInput {
    /// `SDP_OFFER` from the peer (decoded SDP).
    Offer(String),
    /// `SDP_ANSWER` from the peer (decoded SDP).
    Answer(String),
    /// `ICE_CANDIDATE` from the peer.
    Candidate(Value),
}

/// How a link is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkState {
    Connecting,
    Connected,
    /// ICE found no path (ask for TURN).
    Failed,
    Closed,
}

/// What a link reports to the session.
#[derive(Debug)]
pub enum LinkOutput {
    /// A message for the world relay.
    Signal(ClientMessage),
    /// The link's state changed.
    State { peer: WorldUserId, state: LinkState },
}

/// Handle to a running link; dropping it closes the connection.
pub struct Link {
    inputs: mpsc::Sender<LinkInput>,
    /// Whether this link was set up with TURN servers.
    pub relayed: bool,
    task: tokio::task::JoinHandle<()>,
}

impl Link {
    /// Starts a link (the peer connection is created inside the task).
    pub fn start(
        config: LinkConfig,
        engine: VoiceEngine,
        outputs: mpsc::Sender<LinkOutput>,
    ) -> Self {
        let (tx, rx) = mpsc::channel(256);
        let relayed = !config.ice_servers.is_empty();
        let task = tokio::spawn(run(config, engine, rx, outputs));
        Self {
            inputs: tx,
            relayed,
            task,
        }
    }

    /// Hands a relayed message to the link.
    pub fn deliver(&self, input: LinkInput) {
        if self.inputs.try_send(input).is_err() {
            tracing::warn!("P2P link busy or gone; signalling message dropped");
        }
    }

    /// Closes the connection and waits for it to be gone.
    pub async fn close(self) {
        drop(self.inputs);
        let _ = self.task.await;
    }
}

/// Decodes a relayed base64 SDP.
pub fn decode_sdp(sdp: &str) -> Option<String> {
    BASE64
        .decode(sdp.as_bytes())
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
}

struct Running {
    config: LinkConfig,
    peer: MediaPeer,
    negotiation: Negotiation,
    /// Remote candidates that came before the remote description.
    early: Vec<RTCIceCandidateInit>,
    outputs: mpsc::Sender<LinkOutput>,
    state: LinkState,
}

async fn run(
    config: LinkConfig,
    engine: VoiceEngine,
    mut inputs: mpsc::Receiver<LinkInput>,
    outputs: mpsc::Sender<LinkOutput>,
) {
    let peer_id = config.peer.clone();
    let (peer, mut events) = match MediaPeer::with_ice_servers(
        config.bind_ip,
        true,
        config.ice_servers.clone(),
        config.relay_only,
    )
    .await
    {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(peer = %peer_id.as_str(), error = %e, "cannot create a P2P connection");
            let _ = outputs
                .send(LinkOutput::State {
                    peer: peer_id,
                    state: LinkState::Failed,
                })
                .await;
            return;
        }
    };
    let output = engine.add_output(peer.track.clone(), peer.ssrc);
    let polite = !config.offers_first;
    let mut link = Running {
        config,
        peer,
        negotiation: Negotiation::new(polite),
        early: Vec::new(),
        outputs,
        state: LinkState::Connecting,
    };
    link.report(LinkState::Connecting).await;
    if link.config.offers_first {
        link.send_offer().await;
    }
    loop {
        tokio::select! {
            input = inputs.recv() => match input {
                Some(input) => link.on_input(input).await,
                None => break,
            },
            event = events.recv() => match event {
                Some(PeerEvent::Candidate(c)) => link.send_candidate(c).await,
                Some(PeerEvent::Track(track)) => {
                    let engine = engine.clone();
                    let user = link.config.peer_voice;
                    tokio::spawn(downlink::run_into(track, user, Path::P2p, engine));
                }
                Some(PeerEvent::State(state)) => {
                    let mapped = match state {
                        RTCPeerConnectionState::Connected => Some(LinkState::Connected),
                        RTCPeerConnectionState::Failed => Some(LinkState::Failed),
                        RTCPeerConnectionState::Closed | RTCPeerConnectionState::Disconnected => Some(LinkState::Closed),
                        _ => None,
                    };
                    if let Some(s) = mapped { link.report(s).await; }
                }
                None => break,
            },
        }
    }
    engine.remove_output(output);
    engine.end_stream(link.config.peer_voice, Path::P2p);
    link.peer.close().await;
    link.report(LinkState::Closed).await;
}

impl Running {
    async fn report(&mut self, state: LinkState) {
        if self.state == state && state != LinkState::Connecting {
            return;
        }
        self.state = state;
        let _ = self
            .outputs
            .send(LinkOutput::State {
                peer: self.config.peer.clone(),
                state,
            })
            .await;
    }

    async fn signal(&self, message: ClientMessage) {
        let _ = self.outputs.send(LinkOutput::Signal(message)).await;
    }

    async fn send_offer(&mut self) {
        if !self.negotiation.may_offer() {
            return;
        }
        match self.peer.offer().await {
            Ok(sdp) => {
                self.negotiation.offer_sent();
                self.signal(ClientMessage::SdpOffer(SdpToPeer {
                    to: self.config.peer.clone(),
                    sdp: BASE64.encode(sdp),
                }))
                .await;
            }
            Err(e) => tracing::warn!(error = %e, "cannot make a P2P offer"),
        }
    }

    async fn send_candidate(&self, candidate: RTCIceCandidateInit) {
        let Ok(candidate) = serde_json::to_value(&candidate) else {
            return;
        };
        self.signal(ClientMessage::IceCandidate(IceToPeer {
            to: self.config.peer.clone(),
            candidate,
        }))
        .await;
    }

    async fn on_input(&mut self, input: LinkInput) {
        match input {
            LinkInput::Offer(sdp) => {
                let verdict = self.negotiation.offer_received();
                if verdict == OfferVerdict::Ignore {
                    tracing::debug!("offer collision: we are impolite, ignoring theirs");
                    return;
                }
                if verdict == OfferVerdict::RollbackThenAccept
                    && let Err(e) = self.peer.rollback().await
                {
                    tracing::warn!(error = %e, "rollback failed");
                }
                match self.peer.answer(sdp).await {
                    Ok(answer) => {
                        self.on_remote_applied().await;
                        self.signal(ClientMessage::SdpAnswer(SdpToPeer {
                            to: self.config.peer.clone(),
                            sdp: BASE64.encode(answer),
                        }))
                        .await;
                    }
                    Err(e) => tracing::warn!(error = %e, "cannot answer a P2P offer"),
                }
            }
            LinkInput::Answer(sdp) => {
                if !self.negotiation.answer_received() {
                    tracing::debug!("answer without an offer of ours; ignored");
                    return;
                }
                match self.peer.accept_answer(sdp).await {
                    Ok(()) => self.on_remote_applied().await,
                    Err(e) => tracing::warn!(error = %e, "cannot apply a P2P answer"),
                }
            }
            LinkInput::Candidate(value) => {
                let Ok(candidate) = serde_json::from_value::<RTCIceCandidateInit>(value) else {
                    tracing::debug!("undecodable ICE candidate from a peer; ignored");
                    return;
                };
                if self.negotiation.has_remote() {
                    self.add_candidate(candidate).await;
                } else {
                    self.early.push(candidate);
                }
            }
        }
    }

    async fn on_remote_applied(&mut self) {
        self.negotiation.remote_applied();
        for candidate in std::mem::take(&mut self.early) {
            self.add_candidate(candidate).await;
        }
    }

    async fn add_candidate(&self, candidate: RTCIceCandidateInit) {
        if let Err(e) = self.peer.add_candidate(candidate).await {
            tracing::debug!(error = %e, "remote candidate refused");
        }
    }
}
