//! What crosses the IPC boundary to the UI. The UI's TypeScript types are generated from these
//! (ts-rs; `bindings_tests.rs`) into `ui/src/backend/contract.ts`, which `tsc` checks the UI
//! against; a test fails when the committed file is stale.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use ts_rs::TS;

use hearth_engine::audio::TalkMode;
use hearth_engine::audio::processing::{NoiseLevel, ProcessingConfig};
use hearth_engine::inspect::{Direction, TapChannel};
use sfu_core::roles::Role;
use sfu_core::world::wire::ZoneType;

/// User settings, persisted as JSON in the app's config directory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[serde(rename_all = "camelCase", default)]
pub struct Settings {
    pub display_name: String,
    /// Newest first, at most [`Settings::MAX_RECENT`]: server addresses or invite links the
    /// user joined.
    pub recent_servers: Vec<String>,
    /// `KeyboardEvent.code` of the push-to-talk key, e.g. `"Space"`.
    pub ptt_key: String,
    pub talk_mode: TalkModeSetting,
    /// Device names from `listDevices`; null means the system default.
    pub input_device: Option<String>,
    pub output_device: Option<String>,
    /// Per-user volume 0..2 (1 = unchanged), kept across sessions, by display name.
    #[ts(type = "Record<string, number>")]
    pub user_volumes: BTreeMap<String, f32>,
    /// Cancel the echo of the speakers in the microphone.
    pub echo_cancel: bool,
    pub noise_suppression: NoiseSuppressionSetting,
    /// Level the microphone automatically.
    pub auto_gain: bool,
    /// Every P2P link through the host's TURN server, so peers never learn this machine's
    /// addresses (used from the next join).
    pub relay_only: bool,
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
            echo_cancel: true,
            noise_suppression: NoiseSuppressionSetting::Standard,
            auto_gain: true,
            relay_only: false,
        }
    }
}

impl Settings {
    /// The microphone processing these settings ask for.
    pub fn processing(&self) -> ProcessingConfig {
        ProcessingConfig {
            echo_cancel: self.echo_cancel,
            noise: match self.noise_suppression {
                NoiseSuppressionSetting::Off => NoiseLevel::Off,
                NoiseSuppressionSetting::Standard => NoiseLevel::Standard,
                NoiseSuppressionSetting::Strong => NoiseLevel::Strong,
            },
            auto_gain: self.auto_gain,
        }
    }

    pub fn set_processing(&mut self, config: ProcessingConfig) {
        self.echo_cancel = config.echo_cancel;
        self.noise_suppression = match config.noise {
            NoiseLevel::Off => NoiseSuppressionSetting::Off,
            NoiseLevel::Standard => NoiseSuppressionSetting::Standard,
            NoiseLevel::Strong => NoiseSuppressionSetting::Strong,
        };
        self.auto_gain = config.auto_gain;
    }
}

/// How hard steady noise is taken out of the microphone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(rename = "NoiseSuppression")]
pub enum NoiseSuppressionSetting {
    Off,
    Standard,
    Strong,
}

/// [`TalkMode`] as the UI names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(rename = "TalkMode")]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DeviceInfo {
    pub name: String,
    pub is_default: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct Devices {
    pub inputs: Vec<DeviceInfo>,
    pub outputs: Vec<DeviceInfo>,
}

/// What a LAN host shares.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct HostInfo {
    /// e.g. `"192.168.1.20:7800"`.
    pub lan_address: String,
    /// What another player pastes into the join screen, e.g.
    /// `"hearth://192.168.1.20:7800/join/AbC123"`.
    pub invite_link: String,
    pub world_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct HostStatus {
    pub running: bool,
    pub info: Option<HostInfo>,
    pub error: Option<String>,
}

/// A moderation request from the UI.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
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

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum VoicePath {
    P2p,
    Turn,
    Sfu,
    None,
}

/// How a zone's audio flows, as the UI names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Topology {
    Proximity,
    P2p,
    Sfu,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub user_id: String,
    pub display_name: String,
    #[ts(type = "Role[]")]
    pub roles: Vec<Role>,
    pub zone: String,
    #[ts(type = "ZoneType")]
    pub zone_type: ZoneType,
    pub topology: Topology,
    pub x: f64,
    pub y: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PeerState {
    pub user_id: String,
    pub display_name: String,
    pub x: f64,
    pub y: f64,
    pub path: VoicePath,
    /// The link or SFU connection is up and audio can flow.
    pub connected: bool,
    pub speaking: bool,
    pub volume: f32,
    pub locally_muted: bool,
    /// Muted by a moderator.
    pub server_muted: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
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
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProtocolMessage {
    /// Sequence number, from 1, per app run.
    pub seq: u64,
    /// Milliseconds since the Unix epoch.
    pub time_ms: u64,
    #[ts(type = r#""world" | "signal""#)]
    pub channel: TapChannel,
    #[ts(type = r#""in" | "out""#)]
    pub direction: Direction,
    /// The message's `type` (world) or `op`/`t` (signal), e.g. `"PRESENCE_UPDATE"` or `"offer"`.
    pub kind: String,
    /// The message with every secret replaced by `"[redacted]"`.
    #[ts(type = "unknown")]
    pub payload: Value,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum NoticeLevel {
    Info,
    Warning,
    Error,
}

/// Everything the app pushes to the UI.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(
    tag = "kind",
    rename_all = "snake_case",
    rename_all_fields = "camelCase"
)]
pub enum AppEvent {
    Session(SessionStatus),
    World {
        #[ts(type = "WorldFile")]
        world: Value,
    },
    Me {
        me: Me,
    },
    /// The full list of peers in the zone (sent on join, zone change and every join/leave).
    Peers {
        peers: Vec<PeerState>,
    },
    /// One peer changed (position, path, speaking, volume...).
    Peer {
        peer: PeerState,
    },
    PeerLeft {
        user_id: String,
    },
    SelfVoice {
        voice: SelfVoice,
    },
    /// About 20 times a second while in a world: input level and each peer's output level, 0..1.
    Levels {
        input: f32,
        #[ts(type = "Record<UserId, number>")]
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
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppSnapshot {
    pub settings: Settings,
    pub session: SessionStatus,
    pub host: HostStatus,
    #[ts(type = "WorldFile | null")]
    pub world: Option<Value>,
    pub me: Option<Me>,
    pub peers: Vec<PeerState>,
    pub self_voice: SelfVoice,
    /// The inspector's backlog, oldest first (at most 2,000).
    pub protocol: Vec<ProtocolMessage>,
}
