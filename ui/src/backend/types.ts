// The contract between the UI and the app (src-tauri/src/app). Every shape that crosses the
// Tauri IPC boundary is generated from the Rust types into `contract.ts` (ts-rs; a Rust test
// fails when the committed file is stale) and re-exported here; this file adds what the Rust
// side carries as plain JSON (the world file) and the `Backend` interface.

export type {
  AppError, AppErrorCode, AppEvent, AppSnapshot, DeviceInfo, Devices, HostInfo, HostStatus, Me, ModerationAction,
  NoiseSuppression, NoticeLevel, PeerState, ProtocolMessage, Role, SelfVoice, SessionStatus, Settings, TalkMode, Topology, VoicePath,
  ZoneType,
} from "./contract";
import type {
  AppEvent, AppSnapshot, Devices, HostInfo, ModerationAction, Role, Settings, TalkMode, ZoneType,
} from "./contract";

/** A world user id (UUID string), as the world server names users. */
export type UserId = string;

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

/**
 * The one interface the UI talks to. `TauriBackend` calls the app's commands; `MockBackend`
 * simulates a world in the page for tests and UI work. Errors reject with an `AppError`
 * ({code, message}; the mock rejects with an Error carrying the code).
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
