// The contract between the UI and the app (src-tauri/src/app). Every shape here crosses the
// Tauri IPC boundary as JSON. The Rust side generates the same types into `src/bindings/`
// (ts-rs) and a test fails when they drift; until then this file is the reference.

/** A world user id (UUID string), as the world server names users. */
export type UserId = string;

export type Role = "Admin" | "Editor" | "Member" | "Guest";
export type ZoneType = "OpenArea" | "TeamArea" | "MeetingRoom" | "PrivateRoom";
export type Topology = "proximity" | "p2p" | "sfu";
export type TalkMode = "voice_activity" | "push_to_talk" | "open";
/** How this client hears a peer: direct, direct through TURN, through the SFU, or not at all. */
export type VoicePath = "p2p" | "turn" | "sfu" | "none";

/** Why a command failed (src-tauri/src/app/error.rs); commands reject with an {@link AppError}. */
export type AppErrorCode =
  | "invalid_server"
  | "invalid_name"
  | "join_failed"
  | "not_in_world"
  | "unknown_user"
  | "settings_not_saved"
  | "devices_unavailable"
  | "host_failed";

/** What a failed command rejects with: a code to switch on and a sentence to show. */
export interface AppError {
  code: AppErrorCode;
  message: string;
}

/** The world file as the server sends it (seed 004 world format), used to draw the map. */
export interface WorldFile {
  worldId: string;
  meta: { name: string };
  map: {
    tileSet: string;
    width: number;
    height: number;
    /** Row-major tile numbers. A layer with id "walls" (or `collision: true`) blocks movement. */
    layers: { id: string; tiles: number[]; collision?: boolean }[];
  };
  zones: { id: string; type: ZoneType; bounds: Rect; name?: string }[];
  doors: { id: string; bounds: Rect; leadsToZone: string; access?: { type: string; allowedRoles?: Role[] } }[];
  objects: { id: string; type: string; position: Point; linkedObjects?: string[] }[];
  spawnPoints: { id: string; position: Point }[];
}
export interface Rect { x: number; y: number; width: number; height: number }
export interface Point { x: number; y: number }

export interface Settings {
  displayName: string;
  /** Newest first, at most 8: server addresses or invite links the user joined. */
  recentServers: string[];
  /** `KeyboardEvent.code` of the push-to-talk key, e.g. "Space". */
  pttKey: string;
  talkMode: TalkMode;
  /** Device names from `listDevices`; null means the system default. */
  inputDevice: string | null;
  outputDevice: string | null;
  /** Per-user volume 0..2 (1 = unchanged), kept across sessions, by display name. */
  userVolumes: Record<string, number>;
}

export interface DeviceInfo { name: string; isDefault: boolean }
export interface Devices { inputs: DeviceInfo[]; outputs: DeviceInfo[] }

export interface HostInfo {
  /** e.g. "192.168.1.20:7800" */
  lanAddress: string;
  /** What another player pastes into the join screen, e.g. "hearth://192.168.1.20:7800/join/AbC123". */
  inviteLink: string;
  worldName: string;
}

export type ModerationAction =
  | { action: "mute"; userId: UserId; durationSecs: number | null }
  | { action: "unmute"; userId: UserId }
  | { action: "remove"; userId: UserId }
  | { action: "kick"; userId: UserId; reason: string | null };

export type SessionStatus =
  | { status: "idle" }
  | { status: "connecting"; server: string }
  | { status: "connected"; server: string }
  | { status: "reconnecting"; attempt: number; inSecs: number; error: string }
  | { status: "failed"; error: string };

export interface Me {
  userId: UserId;
  displayName: string;
  roles: Role[];
  zone: string;
  zoneType: ZoneType;
  topology: Topology;
  x: number;
  y: number;
}

export interface PeerState {
  userId: UserId;
  displayName: string;
  x: number;
  y: number;
  path: VoicePath;
  /** The link or SFU connection is up and audio can flow. */
  connected: boolean;
  speaking: boolean;
  volume: number;
  locallyMuted: boolean;
  /** Muted by a moderator. */
  serverMuted: boolean;
}

export interface SelfVoice {
  selfMuted: boolean;
  serverMuted: boolean;
  deafened: boolean;
  talkMode: TalkMode;
  pttPressed: boolean;
  speaking: boolean;
}

export interface ProtocolMessage {
  /** Sequence number, from 1, per app run. */
  seq: number;
  /** Milliseconds since the Unix epoch. */
  timeMs: number;
  channel: "world" | "signal";
  direction: "in" | "out";
  /** The message's `type` (world) or `op`/`t` (signal), e.g. "PRESENCE_UPDATE" or "offer". */
  kind: string;
  /** The whole message, with tokens and credentials replaced by "[redacted]". */
  payload: unknown;
}

/** Everything the app pushes to the UI, over one `tauri::ipc::Channel`. */
export type AppEvent =
  | ({ kind: "session" } & SessionStatus)
  | { kind: "world"; world: WorldFile }
  | { kind: "me"; me: Me }
  /** The full list of peers in the zone (sent on join, zone change and every join/leave). */
  | { kind: "peers"; peers: PeerState[] }
  /** One peer changed (position, path, speaking, volume...). */
  | { kind: "peer"; peer: PeerState }
  | { kind: "peer_left"; userId: UserId }
  | { kind: "self_voice"; voice: SelfVoice }
  /** About 20 times a second while in a world: input level and each peer's output level, 0..1. */
  | { kind: "levels"; input: number; peers: Record<UserId, number> }
  | { kind: "protocol"; message: ProtocolMessage }
  | { kind: "notice"; level: "info" | "warning" | "error"; message: string }
  | { kind: "host"; running: boolean; info: HostInfo | null; error: string | null };

/** What the app holds when the UI (re)loads. */
export interface AppSnapshot {
  settings: Settings;
  session: SessionStatus;
  host: { running: boolean; info: HostInfo | null; error: string | null };
  world: WorldFile | null;
  me: Me | null;
  peers: PeerState[];
  selfVoice: SelfVoice;
  /** The inspector's backlog, oldest first (at most 2,000). */
  protocol: ProtocolMessage[];
}

/**
 * The one interface the UI talks to. `TauriBackend` calls the app's commands; `MockBackend`
 * simulates a world in the page for tests and UI work. Errors reject with a readable message.
 */
export interface Backend {
  snapshot(): Promise<AppSnapshot>;
  /** Streams every AppEvent until the returned function is called. */
  subscribe(onEvent: (event: AppEvent) => void): Promise<() => void>;
  /** `server`: "host:port", "http(s)://host:port" or an invite link. */
  join(server: string, displayName: string): Promise<void>;
  leave(): Promise<void>;
  /** Walk toward a point (click); the app walks at a legal speed and stops at walls. */
  walkTo(x: number, y: number): Promise<void>;
  /** Walk in a direction while keys are held; (0, 0) stops. Components in -1..1. */
  walk(dx: number, dy: number): Promise<void>;
  setSelfMuted(muted: boolean): Promise<void>;
  setDeafened(deafened: boolean): Promise<void>;
  setTalkMode(mode: TalkMode): Promise<void>;
  setPushToTalk(pressed: boolean): Promise<void>;
  setUserVolume(userId: UserId, volume: number): Promise<void>;
  setUserMuted(userId: UserId, muted: boolean): Promise<void>;
  listDevices(): Promise<Devices>;
  setDevices(input: string | null, output: string | null): Promise<void>;
  saveSettings(settings: Settings): Promise<void>;
  moderate(action: ModerationAction): Promise<void>;
  /** Starts the embedded host (world + SFU + interop) and joins it; null = the demo world. */
  hostStart(worldFile: string | null): Promise<HostInfo>;
  hostStop(): Promise<void>;
  clearProtocol(): Promise<void>;
}
