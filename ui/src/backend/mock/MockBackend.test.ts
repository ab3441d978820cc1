import { describe, expect, it } from "vitest";
import type { AppEvent, WorldFile } from "../types";
import demo from "./demo.json";
import { MockBackend } from "./MockBackend";
import { MAX_SPEED, stepDirection, stepToward } from "./movement";
import { canStand, zoneAt } from "../../world/geometry";

const world = demo as unknown as WorldFile;

async function joined(role: "Admin" | "Member" = "Admin") {
  const mock = new MockBackend({ role });
  const events: AppEvent[] = [];
  await mock.subscribe((e) => events.push(e));
  await mock.join("demo.example:7800", "Tess");
  mock.tick(600);
  return { mock, events };
}

describe("movement rule", () => {
  it("walls block: walking left from the open area stops before the outer wall", () => {
    let pos = { x: 3.5, y: 13.5 };
    for (let i = 0; i < 40; i++) pos = stepDirection(world, pos, { x: -1, y: 0 }, 0.05, []);
    expect(pos.x).toBeGreaterThanOrEqual(1);
    expect(pos.x).toBeLessThan(1.3);
    expect(canStand(world, pos.x, pos.y, [])).toBe(true);
  });

  it("never moves faster than the server's limit", () => {
    const next = stepDirection(world, { x: 28.5, y: 22.5 }, { x: 1, y: 1 }, 1, [], 100);
    expect(Math.hypot(next.x - 28.5, next.y - 22.5)).toBeLessThanOrEqual(MAX_SPEED + 1e-9);
  });

  it("a closed door stops a Member, an Editor walks through", () => {
    const start = { x: 39.9, y: 13.5 };
    const target = { x: 39.9, y: 9.5 };
    let member = start;
    let editor = start;
    for (let i = 0; i < 40; i++) {
      member = stepToward(world, member, target, 0.05, ["Member"]).pos;
      editor = stepToward(world, editor, target, 0.05, ["Editor"]).pos;
    }
    expect(member.y, "the door tile at y=11 blocks a Member").toBeGreaterThanOrEqual(12);
    expect(editor).toEqual(target);
    expect(zoneAt(world, editor.x, editor.y)?.type).toBe("PrivateRoom");
  });
});

describe("MockBackend", () => {
  it("joins, spawns in the open area and walks with keys until released", async () => {
    const { mock, events } = await joined();
    const snap = await mock.snapshot();
    expect(snap.session).toEqual({ status: "connected", server: "demo.example:7800" });
    expect(snap.me).toMatchObject({ x: 28.5, y: 22.5, zoneType: "OpenArea", topology: "proximity" });
    expect(events.some((e) => e.kind === "world")).toBe(true);
    await mock.walk(1, 0);
    mock.tick(500);
    const moved = (await mock.snapshot()).me!;
    expect(moved.x).toBeCloseTo(28.5 + 3, 5);
    await mock.walk(0, 0);
    mock.tick(500);
    expect((await mock.snapshot()).me!.x).toBe(moved.x);
  });

  it("walking into the meeting room switches to the SFU and logs the promotion", async () => {
    const { mock, events } = await joined();
    await mock.walkTo(8.9, 6);
    for (let i = 0; i < 200; i++) mock.tick(50);
    const me = (await mock.snapshot()).me!;
    expect(me).toMatchObject({ zone: "meeting-room", topology: "sfu" });
    const kinds = events.flatMap((e) => (e.kind === "protocol" ? [e.message.kind] : []));
    expect(kinds).toContain("PROMOTE_TO_SFU");
    const peers = events.filter((e) => e.kind === "peers").at(-1);
    expect(peers?.kind === "peers" && peers.peers.every((p) => p.path === "sfu")).toBe(true);
  });

  it("moderation changes a peer for an Admin and is refused for a Member", async () => {
    const { mock } = await joined("Admin");
    const target = (await mock.snapshot()).peers[0]!;
    await mock.moderate({ action: "mute", userId: target.userId, durationSecs: 1 });
    expect(mock.debugState().peers.find((p) => p.userId === target.userId)?.serverMuted).toBe(true);
    for (let i = 0; i < 25; i++) mock.tick(50);
    expect(mock.debugState().peers.find((p) => p.userId === target.userId)?.serverMuted, "timed mute ends").toBe(false);

    const member = (await joined("Member")).mock;
    const other = (await member.snapshot()).peers[0]!;
    await expect(member.moderate({ action: "kick", userId: other.userId, reason: null })).rejects.toThrow(/PERMISSION_DENIED/);
  });

  it("hosting hands out an invite and joins it; stopping leaves", async () => {
    const mock = new MockBackend();
    await mock.saveSettings({ ...(await mock.snapshot()).settings, displayName: "Host" });
    const info = await mock.hostStart(null);
    expect(info.inviteLink).toMatch(/^hearth:\/\/192\.168\.1\.20:7800\/join\/\w{6}$/);
    mock.tick(600);
    expect((await mock.snapshot()).session).toEqual({ status: "connected", server: info.lanAddress });
    await mock.hostStop();
    const snap = await mock.snapshot();
    expect(snap.host.running).toBe(false);
    expect(snap.session.status).toBe("idle");
  });

  it("an unreachable server reconnects twice, then fails", async () => {
    const mock = new MockBackend();
    const statuses: string[] = [];
    await mock.subscribe((e) => e.kind === "session" && statuses.push(e.status));
    await mock.join("unreachable.example:1", "Tess");
    for (let i = 0; i < 100; i++) mock.tick(50);
    expect(statuses).toEqual(["connecting", "reconnecting", "reconnecting", "failed"]);
  });
});
