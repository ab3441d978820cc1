// The simulated people of the mock world: each wanders inside a home area and talks in bursts.
import type { Point, Rect, UserId, WorldFile } from "../types";
import { canStand } from "../../world/geometry";
import { stepToward } from "./movement";

/** A small seeded generator (mulberry32), so a test run is the same every time. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimPeer {
  userId: UserId;
  displayName: string;
  x: number;
  y: number;
  /** Where the peer wanders; inside a single zone so it only changes zone when moved. */
  home: Rect;
  target: Point | null;
  pauseSecs: number;
  speaking: boolean;
  /** Seconds until the peer starts or stops talking. */
  talkSecs: number;
  level: number;
  volume: number;
  locallyMuted: boolean;
  serverMuted: boolean;
  /** Virtual ms when a timed server mute ends. */
  serverMutedUntil: number | null;
  /** Whether this peer's direct link needs TURN (shown as a TURN badge). */
  needsTurn: boolean;
}

const PEER_SPEED = 2.5;

/** An open-area patch away from the team area, near the spawn points. */
export const OPEN_AREA_HOME: Rect = { x: 25, y: 13, width: 20, height: 17 };

const PEOPLE: { name: string; at: Point; home: Rect; needsTurn?: boolean }[] = [
  { name: "Grace Hopper", at: { x: 31.5, y: 21.5 }, home: { x: 26, y: 18, width: 9, height: 9 } },
  { name: "Margaret Hamilton", at: { x: 36.5, y: 16.5 }, home: OPEN_AREA_HOME },
  { name: "Ada Lovelace", at: { x: 8.5, y: 21.5 }, home: { x: 4, y: 16, width: 20, height: 12 } },
  { name: "Katherine Johnson", at: { x: 16.5, y: 25.5 }, home: { x: 4, y: 16, width: 20, height: 12 }, needsTurn: true },
  { name: "Linus Torvalds", at: { x: 6.5, y: 8.5 }, home: { x: 3, y: 3, width: 12, height: 8 } },
  { name: "Alan Kay", at: { x: 40.5, y: 7.5 }, home: { x: 35, y: 3, width: 10, height: 8 } },
];

export function createPeers(): SimPeer[] {
  return PEOPLE.map((p, i) => ({
    userId: `00000000-0000-4000-8000-${String(i + 1).padStart(12, "0")}`,
    displayName: p.name,
    x: p.at.x,
    y: p.at.y,
    home: p.home,
    target: null,
    pauseSecs: 1 + i * 0.7,
    speaking: false,
    talkSecs: 1 + i,
    level: 0,
    volume: 1,
    locallyMuted: false,
    serverMuted: false,
    serverMutedUntil: null,
    needsTurn: p.needsTurn ?? false,
  }));
}

function pickTarget(world: WorldFile, home: Rect, rand: () => number): Point | null {
  for (let i = 0; i < 8; i++) {
    const x = home.x + 1 + rand() * (home.width - 2);
    const y = home.y + 1 + rand() * (home.height - 2);
    if (canStand(world, x, y, [])) return { x, y };
  }
  return null;
}

/** Advances one peer by `dt` seconds: walk, pause, talk. Returns whether anything visible changed. */
export function stepPeer(world: WorldFile, peer: SimPeer, dt: number, rand: () => number): boolean {
  let changed = false;
  if (peer.pauseSecs > 0) {
    peer.pauseSecs -= dt;
  } else if (!peer.target) {
    peer.target = pickTarget(world, peer.home, rand);
    peer.pauseSecs = peer.target ? 0 : 1;
  } else {
    const { pos, done } = stepToward(world, peer, peer.target, dt, [], PEER_SPEED);
    changed = pos.x !== peer.x || pos.y !== peer.y;
    peer.x = pos.x;
    peer.y = pos.y;
    if (done) {
      peer.target = null;
      peer.pauseSecs = 1 + rand() * 4;
    }
  }
  peer.talkSecs -= dt;
  if (peer.talkSecs <= 0) {
    peer.speaking = !peer.speaking && !peer.serverMuted;
    peer.talkSecs = peer.speaking ? 1 + rand() * 3 : 2 + rand() * 6;
    changed = true;
  }
  peer.level = peer.speaking ? 0.3 + rand() * 0.6 : 0;
  return changed;
}
