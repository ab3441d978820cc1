// The UI's whole state and the one pure function that moves it forward: `apply(state, action)`.
// Actions are the app's events (types.ts `AppEvent`) plus the few things only the UI knows.
import type {
  AppEvent, AppSnapshot, HostInfo, Me, PeerState, ProtocolMessage, SelfVoice, SessionStatus, Settings, UserId, WorldFile,
} from "../backend/types";

/** The inspector keeps at most this many messages, like the app's backlog. */
export const PROTOCOL_LIMIT = 2000;
/** Toasts shown at once; older ones give way. */
export const NOTICE_LIMIT = 4;

export interface Notice {
  id: number;
  level: "info" | "warning" | "error";
  message: string;
}

export interface AppState {
  /** False until the first snapshot arrived. */
  loaded: boolean;
  settings: Settings;
  session: SessionStatus;
  /** The server of the latest join, for "Retry". */
  lastServer: string | null;
  host: { running: boolean; info: HostInfo | null; error: string | null };
  world: WorldFile | null;
  me: Me | null;
  peers: PeerState[];
  selfVoice: SelfVoice;
  levels: { input: number; peers: Record<UserId, number> };
  protocol: ProtocolMessage[];
  notices: Notice[];
  nextNoticeId: number;
}

export type UiAction =
  | { kind: "snapshot"; snapshot: AppSnapshot }
  | { kind: "settings_saved"; settings: Settings }
  | { kind: "protocol_cleared" }
  | { kind: "notice_dismissed"; id: number }
  /** A failed command, shown like the app's own error notices. */
  | { kind: "command_failed"; message: string };

export type Action = AppEvent | UiAction;

export function initialState(): AppState {
  return {
    loaded: false,
    settings: {
      displayName: "", recentServers: [], pttKey: "Space", talkMode: "voice_activity",
      inputDevice: null, outputDevice: null, userVolumes: {},
      echoCancel: true, noiseSuppression: "standard", autoGain: true, relayOnly: false,
    },
    session: { status: "idle" },
    lastServer: null,
    host: { running: false, info: null, error: null },
    world: null,
    me: null,
    peers: [],
    selfVoice: { selfMuted: false, serverMuted: false, deafened: false, talkMode: "voice_activity", pttPressed: false, speaking: false },
    levels: { input: 0, peers: {} },
    protocol: [],
    notices: [],
    nextNoticeId: 1,
  };
}

function sessionOf(action: { kind: "session" } & SessionStatus): SessionStatus {
  const { kind: _kind, ...session } = action;
  return session as SessionStatus;
}

function addNotice(state: AppState, level: Notice["level"], message: string): AppState {
  const notices = [...state.notices, { id: state.nextNoticeId, level, message }].slice(-NOTICE_LIMIT);
  return { ...state, notices, nextNoticeId: state.nextNoticeId + 1 };
}

function appendProtocol(list: ProtocolMessage[], message: ProtocolMessage): ProtocolMessage[] {
  const last = list[list.length - 1];
  // Events that raced the snapshot may repeat what it already held.
  if (last && message.seq <= last.seq) return list;
  const next = list.length >= PROTOCOL_LIMIT ? list.slice(list.length - PROTOCOL_LIMIT + 1) : list.slice();
  next.push(message);
  return next;
}

export function apply(state: AppState, action: Action): AppState {
  switch (action.kind) {
    case "snapshot": {
      const s = action.snapshot;
      return {
        ...state, loaded: true, settings: s.settings, session: s.session,
        lastServer: "server" in s.session ? s.session.server : state.lastServer, host: s.host, world: s.world, me: s.me,
        peers: s.peers, selfVoice: s.selfVoice, protocol: s.protocol.slice(-PROTOCOL_LIMIT),
      };
    }
    case "session": {
      const session = sessionOf(action);
      if ("server" in session) state = { ...state, lastServer: session.server };
      if (session.status === "idle") {
        return { ...state, session, me: null, world: null, peers: [], levels: { input: 0, peers: {} } };
      }
      return { ...state, session };
    }
    case "world":
      return { ...state, world: action.world };
    case "me":
      return { ...state, me: action.me };
    case "peers":
      return { ...state, peers: action.peers };
    case "peer": {
      const i = state.peers.findIndex((p) => p.userId === action.peer.userId);
      const peers = i < 0 ? [...state.peers, action.peer] : state.peers.map((p, j) => (j === i ? action.peer : p));
      return { ...state, peers };
    }
    case "peer_left":
      return { ...state, peers: state.peers.filter((p) => p.userId !== action.userId) };
    case "self_voice":
      return { ...state, selfVoice: action.voice };
    case "levels":
      return { ...state, levels: { input: action.input, peers: action.peers } };
    case "protocol":
      return { ...state, protocol: appendProtocol(state.protocol, action.message) };
    case "notice":
      return addNotice(state, action.level, action.message);
    case "host":
      return { ...state, host: { running: action.running, info: action.info, error: action.error } };
    case "settings_saved":
      return { ...state, settings: action.settings };
    case "protocol_cleared":
      return { ...state, protocol: [] };
    case "notice_dismissed":
      return { ...state, notices: state.notices.filter((n) => n.id !== action.id) };
    case "command_failed":
      return addNotice(state, "error", action.message);
  }
}
