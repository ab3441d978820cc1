//! The client's WebRTC peer connection (webrtc-rs): Opus only, one local audio track, and its
//! callbacks turned into messages on a bounded channel.

use std::sync::Arc;

use rtc::ice::mdns::MulticastDnsMode;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::interceptor_registry::register_default_interceptors;
use rtc::peer_connection::configuration::media_engine::{
    MIME_TYPE_OPUS, MIME_TYPE_VP8, MediaEngine,
};
use rtc::peer_connection::configuration::setting_engine::SettingEngineBuilder;
use rtc::peer_connection::configuration::{
    RTCConfigurationBuilder, RTCIceServer, RTCIceTransportPolicy,
};
use rtc::peer_connection::sdp::RTCSessionDescription;
use rtc::peer_connection::transport::RTCIceCandidateInit;
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters,
    RtpCodecKind,
};
use tokio::sync::mpsc;
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCPeerConnectionState,
};

/// The Opus payload type we register (the one browsers and str0m use).
pub const OPUS_PT: u8 = 111;

/// What the peer connection reports, in order.
pub enum PeerEvent {
    /// A local ICE candidate to trickle.
    Candidate(RTCIceCandidateInit),
    /// A remote track appeared.
    Track(Arc<dyn TrackRemote>),
    /// The connection state changed.
    State(RTCPeerConnectionState),
}

struct Handler {
    events: mpsc::Sender<PeerEvent>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_candidate(
        &self,
        event: rtc::peer_connection::event::RTCPeerConnectionIceEvent,
    ) {
        if let Ok(init) = event.candidate.to_json() {
            let _ = self.events.send(PeerEvent::Candidate(init)).await;
        }
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let _ = self.events.send(PeerEvent::Track(track)).await;
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        let _ = self.events.send(PeerEvent::State(state)).await;
    }
}

/// A peer connection with one Opus send track.
pub struct MediaPeer {
    pub pc: Arc<dyn PeerConnection>,
    pub track: Arc<TrackLocalStaticRTP>,
    pub ssrc: u32,
}

/// Why the peer connection could not be set up or negotiated.
#[derive(Debug, thiserror::Error)]
#[error("WebRTC: {0}")]
pub struct PeerError(String);

impl From<webrtc::error::Error> for PeerError {
    fn from(e: webrtc::error::Error) -> Self {
        Self(e.to_string())
    }
}

fn opus_codec() -> RTCRtpCodec {
    RTCRtpCodec {
        mime_type: MIME_TYPE_OPUS.to_owned(),
        clock_rate: 48_000,
        channels: 2,
        sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
        rtcp_feedback: vec![],
    }
}

impl MediaPeer {
    /// Builds the peer connection bound to `bind_ip` (any port) and, when `sends` is true, adds
    /// the local audio track. A listen-only client adds none, so the SFU forwards it no one's
    /// tracks for nothing and offers its track to nobody.
    /// Events arrive on the returned receiver (bounded: callbacks wait when it is full).
    pub async fn new(
        bind_ip: std::net::IpAddr,
        sends: bool,
    ) -> Result<(Self, mpsc::Receiver<PeerEvent>), PeerError> {
        Self::with_ice_servers(bind_ip, sends, Vec::new(), false).await
    }

    /// Like [`MediaPeer::new`], with STUN/TURN servers for ICE (TURN after a failed direct
    /// attempt); with `relay_only` only relayed candidates are gathered and used (ICE transport
    /// policy "relay": the peer never learns this machine's addresses).
    pub async fn with_ice_servers(
        bind_ip: std::net::IpAddr,
        sends: bool,
        ice_servers: Vec<RTCIceServer>,
        relay_only: bool,
    ) -> Result<(Self, mpsc::Receiver<PeerEvent>), PeerError> {
        let (tx, rx) = mpsc::channel(256);
        // Remote `.local` candidates (browsers hide their addresses behind mDNS names) are
        // resolved over multicast DNS. On a machine with no multicast route (a LAN with static
        // addresses and no gateway: a LAN party without internet) its socket cannot join the
        // group and the whole connection would fail to build (ENODEV): build it without mDNS
        // then, as Hearth's own clients never send `.local` candidates.
        let pc = match build(
            bind_ip,
            &ice_servers,
            relay_only,
            &tx,
            MulticastDnsMode::QueryOnly,
        )
        .await
        {
            Ok(pc) => pc,
            Err(e) => {
                tracing::info!(error = %e, "multicast DNS unavailable; building the connection without it");
                build(
                    bind_ip,
                    &ice_servers,
                    relay_only,
                    &tx,
                    MulticastDnsMode::Disabled,
                )
                .await?
            }
        };
        let pc: Arc<dyn PeerConnection> = Arc::new(pc);
        let ssrc = rand::random::<u32>();
        let track = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
            "hearth".to_owned(),
            "mic".to_owned(),
            "microphone".to_owned(),
            RtpCodecKind::Audio,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters {
                    ssrc: Some(ssrc),
                    ..Default::default()
                },
                codec: opus_codec(),
                ..Default::default()
            }],
        )));
        if sends {
            pc.add_track(track.clone()).await?;
        }
        Ok((Self { pc, track, ssrc }, rx))
    }

    /// Applies a remote offer and returns our answer SDP.
    pub async fn answer(&self, offer_sdp: String) -> Result<String, PeerError> {
        let offer =
            RTCSessionDescription::offer(offer_sdp).map_err(|e| PeerError(e.to_string()))?;
        self.pc.set_remote_description(offer).await?;
        let answer = self.pc.create_answer(None).await?;
        self.pc.set_local_description(answer.clone()).await?;
        Ok(answer.sdp)
    }

    /// Creates an offer, sets it as the local description and returns its SDP.
    pub async fn offer(&self) -> Result<String, PeerError> {
        let offer = self.pc.create_offer(None).await?;
        self.pc.set_local_description(offer.clone()).await?;
        Ok(offer.sdp)
    }

    /// Drops our pending offer (perfect negotiation: the polite side yields).
    pub async fn rollback(&self) -> Result<(), PeerError> {
        let rollback =
            RTCSessionDescription::rollback(None).map_err(|e| PeerError(e.to_string()))?;
        self.pc.set_local_description(rollback).await?;
        Ok(())
    }

    /// Applies a remote answer to our offer.
    pub async fn accept_answer(&self, answer_sdp: String) -> Result<(), PeerError> {
        let answer =
            RTCSessionDescription::answer(answer_sdp).map_err(|e| PeerError(e.to_string()))?;
        self.pc.set_remote_description(answer).await?;
        Ok(())
    }

    pub async fn add_candidate(&self, candidate: RTCIceCandidateInit) -> Result<(), PeerError> {
        self.pc.add_ice_candidate(candidate).await?;
        Ok(())
    }

    pub async fn close(&self) {
        let _ = self.pc.close().await;
    }
}

/// Builds a peer connection bound to `bind_ip` with Hearth's codecs, reporting to `events`.
async fn build(
    bind_ip: std::net::IpAddr,
    ice_servers: &[RTCIceServer],
    relay_only: bool,
    events: &mpsc::Sender<PeerEvent>,
    mdns: MulticastDnsMode,
) -> Result<impl PeerConnection + use<>, PeerError> {
    let mut media_engine = MediaEngine::default();
    media_engine
        .register_codec(
            RTCRtpCodecParameters {
                rtp_codec: opus_codec(),
                payload_type: OPUS_PT,
            },
            RtpCodecKind::Audio,
        )
        .map_err(|e| PeerError(e.to_string()))?;
    // Video is not sent yet, but without a registered codec webrtc-rs rejects the SFU's
    // video m-lines with an answer str0m cannot parse. (It then answers them sendonly with no
    // track; the SFU ignores m-lines that name no track.)
    media_engine
        .register_codec(
            RTCRtpCodecParameters {
                rtp_codec: RTCRtpCodec {
                    mime_type: MIME_TYPE_VP8.to_owned(),
                    clock_rate: 90_000,
                    channels: 0,
                    sdp_fmtp_line: String::new(),
                    rtcp_feedback: vec![],
                },
                payload_type: 96,
            },
            RtpCodecKind::Video,
        )
        .map_err(|e| PeerError(e.to_string()))?;
    let registry =
        register_default_interceptors(rtc::interceptor::Registry::new(), &mut media_engine)
            .map_err(|e| PeerError(e.to_string()))?;
    let pc = PeerConnectionBuilder::new()
        .with_configuration(
            RTCConfigurationBuilder::new()
                .with_ice_servers(ice_servers.to_vec())
                .with_ice_transport_policy(if relay_only {
                    RTCIceTransportPolicy::Relay
                } else {
                    RTCIceTransportPolicy::All
                })
                .build(),
        )
        .with_setting_engine(
            SettingEngineBuilder::new()
                .with_multicast_dns_mode(mdns)
                .build(),
        )
        .with_media_engine(media_engine)
        .with_interceptor_registry(registry)
        .with_handler(Arc::new(Handler {
            events: events.clone(),
        }))
        .with_udp_addrs(vec![std::net::SocketAddr::new(bind_ip, 0)])
        .build()
        .await?;
    Ok(pc)
}
