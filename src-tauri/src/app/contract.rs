//! What crosses the IPC boundary to the UI: the Rust side of `ui/src/backend/types.ts`. Every
//! type serializes to exactly the shape declared there; `contract_tests.rs` writes one example
//! of each into `ui/src/backend/contract.generated.ts`, where `tsc` checks it against the
//! TypeScript types (and the test fails when the committed file is stale).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use hearth_engine::audio::TalkMode;
use hearth_engine::inspect::{Direction, TapChannel};

/// User settings, persisted as JSON in the app's config directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    pub display_name: String,
    /// Newest first, at most [`Settings::MAX_RECENT`].
    pub recent_servers: Vec<String>,
    /// `KeyboardEvent.code` of the push-to-talk key.
    pub ptt_key: String,
    pub talk_mode: TalkModeSetting,
    pub input_device: Option<String>,
    pub output_device: Option<String>,
    /// Volume 0..2 by display name.
    pub user_volumes: BTreeMap<String, f32>,
}

impl Settings {
    pub const MAX_RECENT: usize = 8;
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            display_name: String::new(),
            recent_servers: Vec::new(),
            ptt_key: "Space".into(),
            talk_mode: TalkModeSetting::VoiceActivity,
            input_device: None,
            output_device: None,
            user_volumes: BTreeMap::new(),
        }
    }
}

/// [`TalkMode`] as the UI names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TalkModeSetting {
    VoiceActivity,
    PushToTalk,
    Open,
}

impl From<TalkModeSetting> for TalkMode {
    fn from(mode: TalkModeSetting) -> Self {
        match mode {
            TalkModeSetting::VoiceActivity => TalkMode::VoiceActivity,
            TalkModeSetting::PushToTalk => TalkMode::PushToTalk,
            TalkModeSetting::Open => TalkMode::Open,
        }
    }
}

impl From<TalkMode> for TalkModeSetting {
    fn from(mode: TalkMode) -> Self {
        match mode {
            TalkMode::VoiceActivity => TalkModeSetting::VoiceActivity,
            TalkMode::PushToTalk => TalkModeSetting::PushToTalk,
            TalkMode::Open => TalkModeSetting::Open,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    pub name: String,
    pub is_default: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Devices {
    pub inputs: Vec<DeviceInfo>,
    pub outputs: Vec<DeviceInfo>,
}

/// What a LAN host shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HostInfo {
    pub lan_address: String,
    pub invite_link: String,
    pub world_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostStatus {
    pub running: bool,
    pub info: Option<HostInfo>,
    pub error: Option<String>,
}

/// A moderation request from the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "action",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum ModerationAction {
    Mute {
        user_id: String,
        duration_secs: Option<u64>,
    },
    Unmute {
        user_id: String,
    },
    Remove {
        user_id: String,
    },
    Kick {
        user_id: String,
        reason: Option<String>,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    tag = "status",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum SessionStatus {
    Idle,
    Connecting {
        server: String,
    },
    Connected {
        server: String,
    },
    Reconnecting {
        attempt: u32,
        in_secs: f64,
        error: String,
    },
    Failed {
        error: String,
    },
}

/// How this client hears a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VoicePath {
    P2p,
    Turn,
    Sfu,
    None,
}

/// How a zone's audio flows, as the UI names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Topology {
    Proximity,
    P2p,
    Sfu,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub user_id: String,
    pub display_name: String,
    /// Role names (`"Admin"`, ...).
    pub roles: Vec<String>,
    pub zone: String,
    /// Zone type name (`"OpenArea"`, ...).
    pub zone_type: String,
    pub topology: Topology,
    pub x: f64,
    pub y: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerState {
    pub user_id: String,
    pub display_name: String,
    pub x: f64,
    pub y: f64,
    pub path: VoicePath,
    pub connected: bool,
    pub speaking: bool,
    pub volume: f32,
    pub locally_muted: bool,
    pub server_muted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SelfVoice {
    pub self_muted: bool,
    pub server_muted: bool,
    pub deafened: bool,
    pub talk_mode: TalkModeSetting,
    pub ptt_pressed: bool,
    pub speaking: bool,
}

/// One signaling message for the inspector.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProtocolMessage {
    pub seq: u64,
    pub time_ms: u64,
    pub channel: TapChannel,
    pub direction: Direction,
    pub kind: String,
    /// The message with every secret replaced by `"[redacted]"`.
    pub payload: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeLevel {
    Info,
    Warning,
    Error,
}

/// Everything the app pushes to the UI.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum AppEvent {
    Session(SessionStatus),
    World {
        world: Value,
    },
    Me {
        me: Me,
    },
    Peers {
        peers: Vec<PeerState>,
    },
    Peer {
        peer: PeerState,
    },
    PeerLeft {
        user_id: String,
    },
    SelfVoice {
        voice: SelfVoice,
    },
    Levels {
        input: f32,
        peers: BTreeMap<String, f32>,
    },
    Protocol {
        message: ProtocolMessage,
    },
    Notice {
        level: NoticeLevel,
        message: String,
    },
    Host(HostStatus),
}

/// What the app holds when the UI (re)loads.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSnapshot {
    pub settings: Settings,
    pub session: SessionStatus,
    pub host: HostStatus,
    pub world: Option<Value>,
    pub me: Option<Me>,
    pub peers: Vec<PeerState>,
    pub self_voice: SelfVoice,
    pub protocol: Vec<ProtocolMessage>,
}
