// A whole simulated world in the page, for UI work and the browser tests: a few people walk and
// talk, you walk under the server's rules, the host switch hands out a fake invite, moderation
// changes people's state, and every "wire" message shows up in the protocol inspector.
//
// Time is virtual: `tick(ms)` advances everything, so unit tests step it explicitly; in the page
// a timer calls it every 50 ms.
import demo from "./demo.json";
import type {
  AppError,
  AppErrorCode,
  AppEvent, AppSnapshot, Backend, Devices, HostInfo, Me, ModerationAction, PeerState, Point, Role,
  SelfVoice, SessionStatus, Settings, TalkMode, Topology, UserId, VoicePath, WorldFile, ZoneType,
} from "../types";
import { zoneAt } from "../../world/geometry";
import { allowedModeration } from "../../state/permissions";
import { parseServerInput } from "../../session/server";
import { stepDirection, stepToward } from "./movement";
import { OPEN_AREA_HOME, createPeers, seededRandom, stepPeer, type SimPeer } from "./peers";
import { ProtocolLog } from "./protocolLog";

export interface MockOptions {
  /** The role the simulated server gives you (`?role=Member` in the page). */
  role?: Role;
  seed?: number;
  /** Drive the clock with a real timer (the page); tests leave it off and call `tick`. */
  realtime?: boolean;
}

const TICK_MS = 50;
const CONNECT_MS = 500;
/** A P2P link or SFU subscription takes this long to come up. */
const LINK_MS = 700;
/** Proximity audio radius in an OpenArea (SPEC section 6). */
const AUDIO_RADIUS = 6;
const HOST_ADDRESS = "192.168.1.20:7800";
const MY_ID = "11111111-1111-4111-8111-111111111111";

const TOPOLOGY: Record<ZoneType, Topology> = { OpenArea: "proximity", TeamArea: "p2p", PrivateRoom: "p2p", MeetingRoom: "sfu" };

interface Link { path: VoicePath; since: number }

export class MockBackend implements Backend {
  private now = Date.now();
  private readonly rand: () => number;
  private readonly role: Role;
  private readonly world = demo as unknown as WorldFile;
  private readonly listeners = new Set<(e: AppEvent) => void>();
  private timers: { due: number; run: () => void }[] = [];
  /** Bumped on every join and leave so timers of an older session do nothing. */
  private generation = 0;
  private readonly log = new ProtocolLog();
  private settings: Settings = {
    displayName: "",
    recentServers: ["demo.hearth.example:7800", "hearth://10.0.0.7:7800/join/q9Lm2x"],
    pttKey: "Space",
    talkMode: "voice_activity",
    inputDevice: null,
    outputDevice: null,
    userVolumes: {},
    echoCancel: true,
    noiseSuppression: "standard",
    autoGain: true,
    relayOnly: false,
  };
  private session: SessionStatus = { status: "idle" };
  private host: AppSnapshot["host"] = { running: false, info: null, error: null };
  private me: Me | null = null;
  private peers: SimPeer[] = createPeers();
  private voice: SelfVoice = {
    selfMuted: false, serverMuted: false, deafened: false, talkMode: "voice_activity", pttPressed: false, speaking: false,
  };
  private walkDir: Point = { x: 0, y: 0 };
  private walkTarget: Point | null = null;
  /** Peers in my zone and how I hear them. */
  private links = new Map<UserId, Link>();
  private dirty = new Set<UserId>();
  private sincePresence = 0;
  private userTalkSecs = 2;
  private userTalking = false;
  private inputLevel = 0;

  constructor(opts: MockOptions = {}) {
    this.role = opts.role ?? "Admin";
    this.rand = seededRandom(opts.seed ?? 7);
    if (opts.realtime) {
      // Step by the time that really passed: browsers throttle timers in background tabs.
      let last = performance.now();
      setInterval(() => {
        const now = performance.now();
        this.tick(Math.min(1000, now - last));
        last = now;
      }, TICK_MS);
    }
  }

  // ---- the clock -------------------------------------------------------------------------------

  /** Advances the simulated world by `ms` milliseconds. */
  tick(ms: number): void {
    this.now += ms;
    for (;;) {
      const due = this.timers.filter((t) => t.due <= this.now);
      if (due.length === 0) break;
      this.timers = this.timers.filter((t) => t.due > this.now);
      due.forEach((t) => t.run());
    }
    if (this.session.status !== "connected" || !this.me) return;
    const dt = ms / 1000;
    this.moveSelf(dt);
    for (const p of this.peers) {
      if (p.serverMutedUntil !== null && this.now >= p.serverMutedUntil) this.setServerMuted(p, false, null);
      if (stepPeer(this.world, p, dt, this.rand)) this.dirty.add(p.userId);
    }
    this.refreshLinks();
    this.simulateInput(dt);
    this.sincePresence += ms;
    if (this.sincePresence >= 100) {
      this.sincePresence = 0;
      this.flushPresence();
    }
    this.emitLevels();
  }

  private after(ms: number, run: () => void): void {
    const gen = this.generation;
    this.timers.push({ due: this.now + ms, run: () => gen === this.generation && run() });
  }

  // ---- events ----------------------------------------------------------------------------------

  private emit(event: AppEvent): void {
    this.listeners.forEach((l) => l(event));
  }

  private wire(channel: "world" | "signal", direction: "in" | "out", kind: string, payload: unknown): void {
    this.emit({ kind: "protocol", message: this.log.record(this.now, channel, direction, kind, payload) });
  }

  private notice(level: "info" | "warning" | "error", message: string): void {
    this.emit({ kind: "notice", level, message });
  }

  private setSession(s: SessionStatus): void {
    this.session = s;
    this.emit({ kind: "session", ...s });
  }

  private peerState(p: SimPeer): PeerState {
    const link = this.links.get(p.userId);
    const path = link?.path ?? "none";
    return {
      userId: p.userId, displayName: p.displayName, x: p.x, y: p.y, path,
      connected: path !== "none" && !!link && this.now - link.since >= LINK_MS,
      speaking: p.speaking, volume: p.volume, locallyMuted: p.locallyMuted, serverMuted: p.serverMuted,
    };
  }

  private visiblePeers(): PeerState[] {
    return this.peers.filter((p) => this.links.has(p.userId)).map((p) => this.peerState(p));
  }

  // ---- session ---------------------------------------------------------------------------------

  async snapshot(): Promise<AppSnapshot> {
    return structuredClone({
      settings: this.settings, session: this.session, host: this.host,
      world: this.me ? this.world : null, me: this.me, peers: this.visiblePeers(), selfVoice: this.voice,
      protocol: this.log.messages,
    });
  }

  async subscribe(onEvent: (event: AppEvent) => void): Promise<() => void> {
    this.listeners.add(onEvent);
    return () => this.listeners.delete(onEvent);
  }

  async join(server: string, displayName: string): Promise<void> {
    const parsed = parseServerInput(server);
    if (!parsed.ok) throw appError("invalid_server", parsed.error);
    if (!displayName.trim()) throw appError("invalid_name", "Choose a display name first.");
    if (this.session.status === "connected" || this.session.status === "connecting") {
      throw new Error("Already in a world: leave it first.");
    }
    this.generation++;
    this.settings.displayName = displayName.trim();
    this.setSession({ status: "connecting", server });
    this.attemptConnect(server, parsed.host, 1);
  }

  private attemptConnect(server: string, host: string, attempt: number): void {
    this.wire("world", "out", "CONNECT", { protocol_version: 1, token: "[redacted]", display_name: this.settings.displayName });
    this.after(CONNECT_MS, () => {
      if (!host.includes("unreachable")) return this.connected(server);
      const error = `could not reach ${host}: connection refused`;
      if (attempt >= 3) return this.setSession({ status: "failed", error });
      const inSecs = attempt;
      this.setSession({ status: "reconnecting", attempt, inSecs, error });
      this.after(inSecs * 1000, () => this.attemptConnect(server, host, attempt + 1));
    });
  }

  private connected(server: string): void {
    const spawn = this.world.spawnPoints[0]?.position ?? { x: 1.5, y: 1.5 };
    const zone = zoneAt(this.world, spawn.x, spawn.y);
    const zoneType = zone?.type ?? "OpenArea";
    this.me = {
      userId: MY_ID, displayName: this.settings.displayName, roles: [this.role], zone: zone?.id ?? "",
      zoneType, topology: TOPOLOGY[zoneType], x: spawn.x, y: spawn.y,
    };
    this.wire("world", "in", "CONNECTED", {
      protocol_version: 1, user_id: MY_ID, roles: [this.role], extensions: ["USER_MUTED", "OBJECT_RELEASED"],
    });
    this.wire("world", "in", "WORLD_STATE", {
      protocol_version: 1, world_id: this.world.worldId, zone_id: this.me.zone,
      users: this.peers.map((p) => ({ user_id: p.userId, display_name: p.displayName, position: { x: p.x, y: p.y } })),
    });
    this.setSession({ status: "connected", server });
    this.emit({ kind: "world", world: this.world });
    this.emit({ kind: "me", me: { ...this.me } });
    this.emit({ kind: "self_voice", voice: { ...this.voice } });
    this.links.clear();
    this.refreshLinks(true);
  }

  async leave(): Promise<void> {
    if (this.session.status === "idle") return;
    if (this.me) this.wire("world", "out", "DISCONNECT", { protocol_version: 1 });
    this.generation++;
    this.me = null;
    this.links.clear();
    this.walkDir = { x: 0, y: 0 };
    this.walkTarget = null;
    this.setSession({ status: "idle" });
    this.emit({ kind: "peers", peers: [] });
  }

  // ---- movement --------------------------------------------------------------------------------

  private requireMe(): Me {
    if (!this.me || this.session.status !== "connected") throw appError("not_in_world", "Not in a world.");
    return this.me;
  }

  async walkTo(x: number, y: number): Promise<void> {
    this.requireMe();
    this.walkTarget = { x, y };
    this.walkDir = { x: 0, y: 0 };
    this.wire("world", "out", "MOVE_INTENT", { protocol_version: 1, target: { x, y } });
  }

  async walk(dx: number, dy: number): Promise<void> {
    this.requireMe();
    this.walkDir = { x: Math.max(-1, Math.min(1, dx)), y: Math.max(-1, Math.min(1, dy)) };
    if (dx !== 0 || dy !== 0) this.walkTarget = null;
    this.wire("world", "out", "MOVE_INTENT", { protocol_version: 1, direction: { ...this.walkDir } });
  }

  private moveSelf(dt: number): void {
    const me = this.me;
    if (!me) return;
    let next: Point = me;
    if (this.walkDir.x !== 0 || this.walkDir.y !== 0) {
      next = stepDirection(this.world, me, this.walkDir, dt, me.roles);
    } else if (this.walkTarget) {
      const step = stepToward(this.world, me, this.walkTarget, dt, me.roles);
      next = step.pos;
      if (step.done) this.walkTarget = null;
    }
    if (next.x === me.x && next.y === me.y) return;
    me.x = next.x;
    me.y = next.y;
    const zone = zoneAt(this.world, me.x, me.y);
    if (zone && zone.id !== me.zone) this.enterZone(me, zone.id, zone.type);
    this.emit({ kind: "me", me: { ...me } });
  }

  private enterZone(me: Me, zoneId: string, type: ZoneType): void {
    const wasSfu = me.topology === "sfu";
    this.wire("world", "in", "ZONE_TRANSITIONED", { protocol_version: 1, from: me.zone, to: zoneId, zone_type: type });
    me.zone = zoneId;
    me.zoneType = type;
    me.topology = TOPOLOGY[type];
    if (me.topology === "sfu") {
      const channel = 4000 + this.world.zones.findIndex((z) => z.id === zoneId);
      this.wire("world", "in", "PROMOTE_TO_SFU", {
        protocol_version: 1, sfu_url: `ws://${HOST_ADDRESS}/signal`, sfu_token: "[redacted]", zone_id: zoneId, channel_id: channel,
      });
      this.wire("signal", "out", "join", { op: 7, t: 500, d: { channel, token: "[redacted]" } });
      this.wire("signal", "in", "join", { op: 7, t: 500, d: { ok: true } });
      this.wire("signal", "in", "offer", { op: 7, t: 501, d: { type: "offer", sdp: "v=0\r\no=- 4611 2 IN IP4 127.0.0.1\r\n..." } });
      this.wire("signal", "out", "answer", { op: 7, t: 502, d: { type: "answer", sdp: "v=0\r\no=- 8802 2 IN IP4 0.0.0.0\r\n..." } });
      this.wire("world", "out", "SFU_CONNECTED", { protocol_version: 1, zone_id: zoneId });
    } else if (wasSfu) {
      this.wire("signal", "out", "leave", { op: 7, t: 504, d: {} });
    }
    this.links.clear();
    this.refreshLinks(true);
  }

  // ---- who I hear ------------------------------------------------------------------------------

  private pathTo(p: SimPeer, me: Me): VoicePath {
    if (me.topology === "sfu") return "sfu";
    if (me.topology === "proximity" && Math.hypot(p.x - me.x, p.y - me.y) > AUDIO_RADIUS) return "none";
    return p.needsTurn ? "turn" : "p2p";
  }

  /** Recomputes who is in my zone and how I hear them; sends the full list when it changed. */
  private refreshLinks(forceList = false): void {
    const me = this.me;
    if (!me) return;
    let membershipChanged = forceList;
    const inZone = new Set<UserId>();
    for (const p of this.peers) {
      if (zoneAt(this.world, p.x, p.y)?.id !== me.zone) continue;
      inZone.add(p.userId);
      const path = this.pathTo(p, me);
      const link = this.links.get(p.userId);
      if (!link) membershipChanged = true;
      if (!link || link.path !== path) {
        this.links.set(p.userId, { path, since: this.now });
        if (link) this.dirty.add(p.userId);
        this.negotiate(p, path);
        this.after(LINK_MS, () => this.dirty.add(p.userId));
      }
    }
    for (const id of [...this.links.keys()]) {
      if (!inZone.has(id)) {
        this.links.delete(id);
        membershipChanged = true;
      }
    }
    if (membershipChanged) this.emit({ kind: "peers", peers: this.visiblePeers() });
  }

  /** The wire traffic of setting up a direct link (the SFU case is logged on zone entry). */
  private negotiate(p: SimPeer, path: VoicePath): void {
    if (path !== "p2p" && path !== "turn") return;
    this.wire("world", "out", "SDP_OFFER", { protocol_version: 1, to: p.userId, sdp: "djA9MA0Kbz0tIDQ2MTEgMiBJTiBJUDQ=" });
    this.wire("world", "in", "SDP_ANSWER", { protocol_version: 1, from: p.userId, sdp: "djA9MA0Kbz0tIDg4MDIgMiBJTiBJUDQ=" });
    this.wire("world", "in", "ICE_CANDIDATE", { protocol_version: 1, from: p.userId, candidate: "candidate:1 1 udp 2122260223 192.168.1.31 54012 typ host" });
    if (path === "turn") {
      this.wire("world", "out", "ICE_FAILED", { protocol_version: 1, peer_id: p.userId });
      this.wire("world", "in", "TURN_CREDENTIALS", {
        protocol_version: 1, urls: [`turn:${HOST_ADDRESS}?transport=udp`], username: `${Math.floor(this.now / 1000) + 3600}:${MY_ID}`, credential: "[redacted]",
      });
    }
  }

  /** Presence at 10 Hz: one update in for the peers that changed, mine out while I move. */
  private flushPresence(): void {
    const me = this.me;
    if (!me) return;
    const changed = [...this.dirty].filter((id) => this.links.has(id));
    this.dirty.clear();
    if (changed.length > 0) {
      const states = changed.flatMap((id) => {
        const p = this.peers.find((q) => q.userId === id);
        return p ? [this.peerState(p)] : [];
      });
      states.forEach((peer) => this.emit({ kind: "peer", peer }));
      this.wire("world", "in", "PRESENCE_UPDATE", {
        protocol_version: 1, users: states.map((s) => ({ user_id: s.userId, position: { x: round(s.x), y: round(s.y) }, speaking: s.speaking })),
      });
    }
    if (this.walkTarget || this.walkDir.x !== 0 || this.walkDir.y !== 0) {
      this.wire("world", "out", "PRESENCE_UPDATE", { protocol_version: 1, position: { x: round(me.x), y: round(me.y) } });
    }
  }

  // ---- my voice --------------------------------------------------------------------------------

  /** The simulated microphone: the user talks in bursts (or while holding push-to-talk). */
  private simulateInput(dt: number): void {
    this.userTalkSecs -= dt;
    if (this.userTalkSecs <= 0) {
      this.userTalking = !this.userTalking;
      this.userTalkSecs = this.userTalking ? 1 + this.rand() * 2 : 3 + this.rand() * 5;
    }
    const v = this.voice;
    const talking = v.talkMode === "push_to_talk" ? v.pttPressed : this.userTalking;
    this.inputLevel = talking ? 0.35 + this.rand() * 0.55 : 0.01 + this.rand() * 0.04;
    const sending = !v.selfMuted && !v.serverMuted && !v.deafened && (v.talkMode !== "push_to_talk" || v.pttPressed);
    const speaking = sending && this.inputLevel > 0.15;
    if (speaking !== v.speaking) {
      v.speaking = speaking;
      this.emitVoice();
      if (this.me?.topology === "sfu") this.wire("signal", "out", "speaking", { op: 7, t: 514, d: { speaking: speaking ? 1 : 0 } });
    }
  }

  private emitLevels(): void {
    const peers: Record<UserId, number> = {};
    for (const p of this.peers) {
      if (!this.links.has(p.userId)) continue;
      const audible = p.speaking && !p.locallyMuted && !this.voice.deafened;
      peers[p.userId] = audible ? Math.min(1, p.level * p.volume) : 0;
    }
    this.emit({ kind: "levels", input: this.inputLevel, peers });
  }

  private emitVoice(): void {
    this.emit({ kind: "self_voice", voice: { ...this.voice } });
  }

  async setSelfMuted(muted: boolean): Promise<void> {
    this.voice.selfMuted = muted;
    if (this.me?.topology === "sfu") this.wire("signal", "out", "mute", { op: 7, t: 505, d: { muted } });
    this.emitVoice();
  }

  async setDeafened(deafened: boolean): Promise<void> {
    this.voice.deafened = deafened;
    this.emitVoice();
  }

  async setTalkMode(mode: TalkMode): Promise<void> {
    this.voice.talkMode = mode;
    this.voice.pttPressed = false;
    this.emitVoice();
  }

  async setPushToTalk(pressed: boolean): Promise<void> {
    if (this.voice.pttPressed === pressed) return;
    this.voice.pttPressed = pressed;
    this.emitVoice();
  }

  private findPeer(userId: UserId): SimPeer {
    const p = this.peers.find((q) => q.userId === userId);
    if (!p) throw appError("unknown_user", `No user ${userId} in this world.`);
    return p;
  }

  async setUserVolume(userId: UserId, volume: number): Promise<void> {
    const p = this.findPeer(userId);
    p.volume = Math.max(0, Math.min(2, volume));
    this.settings.userVolumes[p.displayName] = p.volume;
    if (this.links.has(p.userId)) this.emit({ kind: "peer", peer: this.peerState(p) });
  }

  async setUserMuted(userId: UserId, muted: boolean): Promise<void> {
    const p = this.findPeer(userId);
    p.locallyMuted = muted;
    if (this.me?.topology === "sfu") this.wire("signal", "out", "mute_user", { op: 7, t: 506, d: { user: userId, muted } });
    if (this.links.has(p.userId)) this.emit({ kind: "peer", peer: this.peerState(p) });
  }

  // ---- settings and devices --------------------------------------------------------------------

  async listDevices(): Promise<Devices> {
    return {
      inputs: [{ name: "Built-in Microphone", isDefault: true }, { name: "USB Headset Microphone", isDefault: false }],
      outputs: [{ name: "Built-in Speakers", isDefault: true }, { name: "USB Headset", isDefault: false }],
    };
  }

  async setDevices(input: string | null, output: string | null): Promise<void> {
    const { inputs, outputs } = await this.listDevices();
    if (input !== null && !inputs.some((d) => d.name === input)) throw new Error(`No input device "${input}".`);
    if (output !== null && !outputs.some((d) => d.name === output)) throw new Error(`No output device "${output}".`);
    this.settings.inputDevice = input;
    this.settings.outputDevice = output;
  }

  async saveSettings(settings: Settings): Promise<void> {
    this.settings = structuredClone(settings);
  }

  // ---- moderation ------------------------------------------------------------------------------

  async moderate(action: ModerationAction): Promise<void> {
    const me = this.requireMe();
    const wireKind = { mute: "MUTE_USER", unmute: "UNMUTE_USER", remove: "REMOVE_FROM_ZONE", kick: "KICK_FROM_WORLD" }[action.action];
    this.wire("world", "out", wireKind, {
      protocol_version: 1,
      user_id: action.userId,
      ...(action.action === "mute" ? { duration: action.durationSecs } : {}),
      ...(action.action === "kick" ? { reason: action.reason } : {}),
    });
    if (!allowedModeration(me.roles).has(action.action)) {
      this.wire("world", "in", "ERROR", { protocol_version: 1, code: "PERMISSION_DENIED", message: `${wireKind} needs a moderator role` });
      throw new Error("PERMISSION_DENIED: your role may not do that.");
    }
    const p = this.findPeer(action.userId);
    switch (action.action) {
      case "mute":
        this.setServerMuted(p, true, action.durationSecs);
        break;
      case "unmute":
        this.setServerMuted(p, false, null);
        break;
      case "remove": {
        const spawn = this.world.spawnPoints[1]?.position ?? { x: 30.5, y: 22.5 };
        Object.assign(p, { x: spawn.x, y: spawn.y, home: OPEN_AREA_HOME, target: null, pauseSecs: 2 });
        this.notice("info", `${p.displayName} was moved to the open area.`);
        this.refreshLinks();
        break;
      }
      case "kick":
        this.peers = this.peers.filter((q) => q !== p);
        this.wire("world", "in", "USER_LEFT", { protocol_version: 1, user_id: p.userId, reason: "kicked" });
        if (this.links.delete(p.userId)) this.emit({ kind: "peer_left", userId: p.userId });
        this.notice("info", `${p.displayName} was kicked${action.reason ? `: ${action.reason}` : "."}`);
        break;
    }
  }

  private setServerMuted(p: SimPeer, muted: boolean, durationSecs: number | null): void {
    p.serverMuted = muted;
    p.serverMutedUntil = muted && durationSecs ? this.now + durationSecs * 1000 : null;
    if (muted) p.speaking = false;
    this.wire("world", "in", "USER_MUTED", { protocol_version: 1, user_id: p.userId, muted, duration: durationSecs });
    if (this.links.has(p.userId)) this.emit({ kind: "peer", peer: this.peerState(p) });
  }

  // ---- hosting ---------------------------------------------------------------------------------

  async hostStart(worldFile: string | null): Promise<HostInfo> {
    if (this.host.running && this.host.info) return this.host.info;
    if (worldFile !== null) throw new Error("The mock backend hosts only the demo world.");
    const code = Array.from({ length: 6 }, () => "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"[Math.floor(this.rand() * 55)]).join("");
    const info: HostInfo = { lanAddress: HOST_ADDRESS, inviteLink: `hearth://${HOST_ADDRESS}/join/${code}`, worldName: this.world.meta.name };
    this.host = { running: true, info, error: null };
    this.emit({ kind: "host", ...this.host });
    if (this.session.status !== "idle") await this.leave();
    await this.join(HOST_ADDRESS, this.settings.displayName || "Host");
    return info;
  }

  async hostStop(): Promise<void> {
    if (!this.host.running) return;
    const wasJoined = this.session.status !== "idle" && "server" in this.session && this.session.server === HOST_ADDRESS;
    this.host = { running: false, info: null, error: null };
    this.emit({ kind: "host", ...this.host });
    if (wasJoined) {
      await this.leave();
      this.notice("info", "You stopped hosting; the room is closed.");
    }
  }

  async clearProtocol(): Promise<void> {
    this.log.clear();
  }

  /** What the simulated app holds, for tests to check that a click reached the backend. */
  debugState(): { voice: SelfVoice; peers: PeerState[]; settings: Settings; me: Me | null } {
    return structuredClone({ voice: this.voice, peers: this.visiblePeers(), settings: this.settings, me: this.me });
  }
}

function round(v: number): number {
  return Math.round(v * 100) / 100;
}

/** A rejection shaped as the app's: an Error (readable in tests) carrying the app's error code. */
function appError(code: AppErrorCode, message: string): Error & AppError {
  return Object.assign(new Error(message), { code });
}
