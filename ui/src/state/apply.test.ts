import { describe, expect, it } from "vitest";
import type { PeerState, ProtocolMessage } from "../backend/types";
import { PROTOCOL_LIMIT, NOTICE_LIMIT, apply, initialState, type AppState } from "./apply";

const peer = (userId: string, x = 1): PeerState => ({
  userId, displayName: userId, x, y: 1, path: "p2p", connected: true, speaking: false, volume: 1, locallyMuted: false, serverMuted: false,
});
const msg = (seq: number): ProtocolMessage => ({ seq, timeMs: seq, channel: "world", direction: "in", kind: "PRESENCE_UPDATE", payload: {} });
const me = { userId: "me", displayName: "Me", roles: ["Member" as const], zone: "open-area", zoneType: "OpenArea" as const, topology: "proximity" as const, x: 1, y: 1 };

describe("apply", () => {
  it("upserts a changed peer and removes a peer that left", () => {
    let s = apply(initialState(), { kind: "peers", peers: [peer("a"), peer("b")] });
    s = apply(s, { kind: "peer", peer: peer("a", 5) });
    expect(s.peers.map((p) => [p.userId, p.x])).toEqual([["a", 5], ["b", 1]]);
    s = apply(s, { kind: "peer", peer: peer("c") });
    expect(s.peers.map((p) => p.userId), "an unknown peer is added").toEqual(["a", "b", "c"]);
    s = apply(s, { kind: "peer_left", userId: "b" });
    expect(s.peers.map((p) => p.userId)).toEqual(["a", "c"]);
  });

  it("does not mutate the previous state", () => {
    const before = apply(initialState(), { kind: "peers", peers: [peer("a")] });
    const frozen = JSON.stringify(before);
    apply(before, { kind: "peer", peer: peer("a", 9) });
    expect(JSON.stringify(before)).toBe(frozen);
  });

  it("going idle forgets the world, me, peers and levels, and remembers the last server", () => {
    let s: AppState = apply(initialState(), { kind: "session", status: "connecting", server: "h:1" });
    s = apply(s, { kind: "me", me });
    s = apply(s, { kind: "peers", peers: [peer("a")] });
    s = apply(s, { kind: "levels", input: 0.5, peers: { a: 0.3 } });
    expect(s.session).toEqual({ status: "connecting", server: "h:1" });
    s = apply(s, { kind: "session", status: "idle" });
    expect(s.me).toBeNull();
    expect(s.peers).toEqual([]);
    expect(s.levels).toEqual({ input: 0, peers: {} });
    expect(s.lastServer).toBe("h:1");
  });

  it("keeps me while reconnecting", () => {
    let s = apply(initialState(), { kind: "me", me });
    s = apply(s, { kind: "session", status: "reconnecting", attempt: 2, inSecs: 4, error: "timeout" });
    expect(s.me).toEqual(me);
    expect(s.session).toEqual({ status: "reconnecting", attempt: 2, inSecs: 4, error: "timeout" });
  });

  it("caps the protocol list and drops messages the snapshot already held", () => {
    let s = initialState();
    for (let i = 1; i <= PROTOCOL_LIMIT + 10; i++) s = apply(s, { kind: "protocol", message: msg(i) });
    expect(s.protocol.length).toBe(PROTOCOL_LIMIT);
    expect(s.protocol[0]?.seq).toBe(11);
    const again = apply(s, { kind: "protocol", message: msg(PROTOCOL_LIMIT) });
    expect(again.protocol).toBe(s.protocol);
    expect(apply(s, { kind: "protocol_cleared" }).protocol).toEqual([]);
  });

  it("turns notices and failed commands into a bounded list of toasts", () => {
    let s = initialState();
    for (let i = 0; i < NOTICE_LIMIT + 2; i++) s = apply(s, { kind: "notice", level: "info", message: `n${i}` });
    s = apply(s, { kind: "command_failed", message: "boom" });
    expect(s.notices.length).toBe(NOTICE_LIMIT);
    expect(s.notices.at(-1)).toMatchObject({ level: "error", message: "boom" });
    const id = s.notices[0]!.id;
    expect(apply(s, { kind: "notice_dismissed", id }).notices.some((n) => n.id === id)).toBe(false);
  });

  it("takes everything from a snapshot", () => {
    const s = apply(initialState(), {
      kind: "snapshot",
      snapshot: {
        settings: { ...initialState().settings, displayName: "Zoe" }, session: { status: "connected", server: "x:2" },
        host: { running: true, info: null, error: null }, world: null, me, peers: [peer("a")],
        selfVoice: { ...initialState().selfVoice, selfMuted: true }, protocol: [msg(1), msg(2)],
      },
    });
    expect(s.loaded).toBe(true);
    expect(s.settings.displayName).toBe("Zoe");
    expect(s.lastServer).toBe("x:2");
    expect(s.selfVoice.selfMuted).toBe(true);
    expect(s.protocol.map((m) => m.seq)).toEqual([1, 2]);
  });
});
