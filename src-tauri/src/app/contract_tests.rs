//! Keeps the Rust contract and the UI in step. The UI's types are generated from the Rust ones
//! (ts-rs) into `ui/src/backend/contract.ts`; one example of every type the app sends is written,
//! as the app serializes it, into `ui/src/backend/contract.generated.ts`, which `tsc` (the UI
//! build) checks against those types, excess properties included (this catches a `#[ts(type)]`
//! override that drifted from what serde writes). The tests fail when a committed file is stale:
//! `HEARTH_UPDATE_CONTRACT=1 cargo test -p hearth-client contract` rewrites both. The other
//! direction (what the UI sends) is checked by deserializing the shapes the UI declares.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;
use serde_json::json;
use ts_rs::{Config, TS};

use super::contract::*;
use super::error::{AppError, AppErrorCode};
use hearth_engine::inspect::{Direction, TapChannel};
use sfu_core::roles::Role;
use sfu_core::world::wire::ZoneType;

fn me() -> Me {
    Me {
        user_id: "6f1c9a52-0000-4000-8000-000000000001".into(),
        display_name: "Ada".into(),
        roles: vec![Role::Admin, Role::Member],
        zone: "open-area".into(),
        zone_type: ZoneType::OpenArea,
        topology: Topology::Proximity,
        x: 28.5,
        y: 22.5,
    }
}

fn peer() -> PeerState {
    PeerState {
        user_id: "6f1c9a52-0000-4000-8000-000000000002".into(),
        display_name: "Bob".into(),
        x: 30.5,
        y: 22.5,
        path: VoicePath::P2p,
        connected: true,
        speaking: true,
        volume: 1.5,
        locally_muted: false,
        server_muted: false,
    }
}

fn self_voice() -> SelfVoice {
    SelfVoice {
        self_muted: false,
        server_muted: false,
        deafened: false,
        talk_mode: TalkModeSetting::PushToTalk,
        ptt_pressed: true,
        speaking: false,
    }
}

fn host_info() -> HostInfo {
    HostInfo {
        lan_address: "192.168.1.20:7800".into(),
        invite_link: "hearth://192.168.1.20:7800/join/ab12cd34".into(),
        world_name: "Hearth demo office".into(),
    }
}

fn protocol() -> ProtocolMessage {
    ProtocolMessage {
        seq: 1,
        time_ms: 1_700_000_000_000,
        channel: TapChannel::World,
        direction: Direction::Out,
        kind: "CONNECT".into(),
        payload: json!({"type": "CONNECT", "payload": {"token": "[redacted]"}}),
    }
}

/// A world file with exactly the fields `WorldFile` declares.
fn world() -> serde_json::Value {
    json!({
        "worldId": "6f1c9a52-3b7e-4d2a-9c41-8e5b27d0f3a6",
        "meta": {"name": "Tiny"},
        "map": {"tileSet": "office-v1", "width": 2, "height": 1,
                "layers": [{"id": "floor", "tiles": [1, 1]}, {"id": "walls", "tiles": [0, 0], "collision": true}]},
        "zones": [{"id": "open-area", "type": "OpenArea", "bounds": {"x": 0, "y": 0, "width": 2, "height": 1}}],
        "doors": [{"id": "d", "bounds": {"x": 1, "y": 0, "width": 1, "height": 1}, "leadsToZone": "open-area",
                   "access": {"type": "knock", "allowedRoles": ["Admin"]}}],
        "objects": [{"id": "desk-1", "type": "desk", "position": {"x": 0.5, "y": 0.5}, "linkedObjects": []}],
        "spawnPoints": [{"id": "spawn-1", "position": {"x": 0.5, "y": 0.5}}]
    })
}

fn events() -> Vec<AppEvent> {
    vec![
        AppEvent::Session(SessionStatus::Idle),
        AppEvent::Session(SessionStatus::Connecting {
            server: "hearth://h:1/join/x".into(),
        }),
        AppEvent::Session(SessionStatus::Connected {
            server: "hearth://h:1/join/x".into(),
        }),
        AppEvent::Session(SessionStatus::Reconnecting {
            attempt: 2,
            in_secs: 2.0,
            error: "socket closed".into(),
        }),
        AppEvent::Session(SessionStatus::Failed {
            error: "invalid invite".into(),
        }),
        AppEvent::World { world: world() },
        AppEvent::Me { me: me() },
        AppEvent::Peers {
            peers: vec![peer()],
        },
        AppEvent::Peer {
            peer: PeerState {
                path: VoicePath::Turn,
                ..peer()
            },
        },
        AppEvent::Peer {
            peer: PeerState {
                path: VoicePath::Sfu,
                ..peer()
            },
        },
        AppEvent::Peer {
            peer: PeerState {
                path: VoicePath::None,
                connected: false,
                ..peer()
            },
        },
        AppEvent::PeerLeft {
            user_id: peer().user_id,
        },
        AppEvent::SelfVoice {
            voice: self_voice(),
        },
        AppEvent::Levels {
            input: 0.25,
            peers: BTreeMap::from([(peer().user_id, 0.5)]),
        },
        AppEvent::Protocol {
            message: protocol(),
        },
        AppEvent::Notice {
            level: NoticeLevel::Warning,
            message: "No microphone".into(),
        },
        AppEvent::Host(HostStatus {
            running: true,
            info: Some(host_info()),
            error: None,
        }),
        AppEvent::Host(HostStatus {
            running: false,
            info: None,
            error: Some("port busy".into()),
        }),
    ]
}

fn snapshot() -> AppSnapshot {
    AppSnapshot {
        settings: Settings {
            display_name: "Ada".into(),
            recent_servers: vec!["hearth://h:1/join/x".into()],
            input_device: Some("pulseaudio:hearth".into()),
            user_volumes: BTreeMap::from([("Bob".to_owned(), 1.5)]),
            ..Settings::default()
        },
        session: SessionStatus::Connected {
            server: "hearth://h:1/join/x".into(),
        },
        host: HostStatus {
            running: true,
            info: Some(host_info()),
            error: None,
        },
        world: Some(world()),
        me: Some(me()),
        peers: vec![peer()],
        self_voice: self_voice(),
        protocol: vec![protocol()],
    }
}

fn devices() -> Devices {
    Devices {
        inputs: vec![DeviceInfo {
            name: "pulseaudio:default".into(),
            is_default: true,
        }],
        outputs: vec![DeviceInfo {
            name: "alsa:default".into(),
            is_default: false,
        }],
    }
}

fn constant(name: &str, ty: &str, value: &impl Serialize) -> String {
    let json = serde_json::to_string_pretty(value).expect("serializable");
    format!("export const {name}: {ty} = {json};\n")
}

fn generated() -> String {
    let mut out = String::from(
        "// Generated by src-tauri/src/app/contract_tests.rs from the Rust contract: do not edit.\n\
         // `tsc` checks these values, exactly as the app serializes them, against types.ts.\n\
         // Regenerate: HEARTH_UPDATE_CONTRACT=1 cargo test -p hearth-client contract\n\
         import type { AppError, AppEvent, AppSnapshot, Devices, HostInfo } from \"./types\";\n\n",
    );
    out.push_str(&constant("events", "AppEvent[]", &events()));
    out.push_str(&constant("snapshot", "AppSnapshot", &snapshot()));
    out.push_str(&constant("devices", "Devices", &devices()));
    out.push_str(&constant("hostInfo", "HostInfo", &host_info()));
    out.push_str(&constant(
        "error",
        "AppError",
        &AppError::new(AppErrorCode::JoinFailed, "connection refused"),
    ));
    out
}

/// `export type Name = "a" | "b";` from every value's JSON.
fn union_of<T: Serialize>(name: &str, values: &[T]) -> String {
    let names: Vec<String> = values
        .iter()
        .map(|v| serde_json::to_string(v).expect("serializable"))
        .collect();
    format!("export type {name} = {};\n", names.join(" | "))
}

fn declaration<T: TS>(cfg: &Config) -> String {
    format!(
        "\n{}export {}\n",
        T::docs().unwrap_or_default(),
        T::decl(cfg)
    )
}

/// `ui/src/backend/contract.ts`: the TypeScript of every contract type.
fn bindings() -> String {
    let cfg = Config::new().with_large_int("number");
    let mut out = String::from(
        "// Generated by src-tauri/src/app/contract_tests.rs from the Rust contract (ts-rs): do not\n\
         // edit. Regenerate: HEARTH_UPDATE_CONTRACT=1 cargo test -p hearth-client contract\n\
         import type { UserId, WorldFile } from \"./types\";\n\n",
    );
    out.push_str(&union_of("Role", &Role::ALL));
    out.push_str(&union_of("ZoneType", &ZoneType::ALL));
    for decl in [
        declaration::<Settings>,
        declaration::<TalkModeSetting>,
        declaration::<NoiseSuppressionSetting>,
        declaration::<DeviceInfo>,
        declaration::<Devices>,
        declaration::<HostInfo>,
        declaration::<HostStatus>,
        declaration::<ModerationAction>,
        declaration::<SessionStatus>,
        declaration::<VoicePath>,
        declaration::<Topology>,
        declaration::<Me>,
        declaration::<PeerState>,
        declaration::<SelfVoice>,
        declaration::<ProtocolMessage>,
        declaration::<NoticeLevel>,
        declaration::<AppEvent>,
        declaration::<AppSnapshot>,
        declaration::<AppErrorCode>,
        declaration::<AppError>,
    ] {
        out.push_str(&decl(&cfg));
    }
    out
}

/// Fails when `ui/src/backend/<file>` differs from `fresh` (or rewrites it, when asked).
fn check_committed(file: &str, fresh: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../ui/src/backend")
        .join(file);
    if std::env::var_os("HEARTH_UPDATE_CONTRACT").is_some() {
        std::fs::write(&path, fresh).expect("writing the contract file");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale: run HEARTH_UPDATE_CONTRACT=1 cargo test -p hearth-client contract",
        path.display()
    );
}

#[test]
fn the_generated_typescript_types_are_current() {
    check_committed("contract.ts", &bindings());
}

#[test]
fn the_generated_typescript_examples_are_current() {
    check_committed("contract.generated.ts", &generated());
}

#[test]
fn what_the_ui_sends_deserializes() {
    let actions: Vec<ModerationAction> = serde_json::from_value(json!([
        {"action": "mute", "userId": "u", "durationSecs": 60},
        {"action": "mute", "userId": "u", "durationSecs": null},
        {"action": "unmute", "userId": "u"},
        {"action": "remove", "userId": "u"},
        {"action": "kick", "userId": "u", "reason": null},
    ]))
    .expect("every ModerationAction of types.ts");
    assert_eq!(
        actions[0],
        ModerationAction::Mute {
            user_id: "u".into(),
            duration_secs: Some(60)
        }
    );
    let settings: Settings = serde_json::from_value(json!({
        "displayName": "Ada", "recentServers": ["h:1"], "pttKey": "KeyV", "talkMode": "push_to_talk",
        "inputDevice": null, "outputDevice": "alsa:default", "userVolumes": {"Bob": 0.5}
    }))
    .expect("Settings of types.ts");
    assert_eq!(settings.talk_mode, TalkModeSetting::PushToTalk);
    assert_eq!(settings.output_device.as_deref(), Some("alsa:default"));
    let round_trip: Settings =
        serde_json::from_value(serde_json::to_value(&settings).expect("json")).expect("back");
    assert_eq!(round_trip, settings);
    assert!(
        serde_json::from_value::<ModerationAction>(json!({"action": "ban", "userId": "u"}))
            .is_err()
    );
}
