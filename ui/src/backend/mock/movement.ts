// The mock's movement rule, close to the world server's: walls and closed doors block, speed is
// capped, and a blocked diagonal slides along the wall.
import type { Point, Role, WorldFile } from "../types";
import { canStand } from "../../world/geometry";

/** The server's speed limit, tiles per second. */
export const MAX_SPEED = 8;
/** How fast the simulated client walks; under the limit like a real client. */
export const WALK_SPEED = 6;
/** Longest single step, so a fast or late tick cannot tunnel through a one-tile wall. */
const MAX_STEP = 0.25;

/** Moves by (dx, dy) in small steps; each step keeps what the walls allow on each axis. */
function slide(world: WorldFile, from: Point, dx: number, dy: number, roles: readonly Role[]): Point {
  const steps = Math.max(1, Math.ceil(Math.hypot(dx, dy) / MAX_STEP));
  let { x, y } = from;
  for (let i = 0; i < steps; i++) {
    const sx = dx / steps;
    const sy = dy / steps;
    if (canStand(world, x + sx, y + sy, roles)) {
      x += sx;
      y += sy;
    } else if (sx !== 0 && canStand(world, x + sx, y, roles)) {
      x += sx;
    } else if (sy !== 0 && canStand(world, x, y + sy, roles)) {
      y += sy;
    } else {
      break;
    }
  }
  return { x, y };
}

/** One tick of walking in a direction (components -1..1, normalised so diagonals are not faster). */
export function stepDirection(
  world: WorldFile,
  pos: Point,
  dir: Point,
  dtSecs: number,
  roles: readonly Role[],
  speed = WALK_SPEED,
): Point {
  const len = Math.hypot(dir.x, dir.y);
  if (len === 0) return pos;
  const dist = Math.min(speed, MAX_SPEED) * dtSecs;
  return slide(world, pos, (dir.x / len) * dist, (dir.y / len) * dist, roles);
}

/** One tick of walking toward a target; `done` when arrived or stuck against a wall. */
export function stepToward(
  world: WorldFile,
  pos: Point,
  target: Point,
  dtSecs: number,
  roles: readonly Role[],
  speed = WALK_SPEED,
): { pos: Point; done: boolean } {
  const dx = target.x - pos.x;
  const dy = target.y - pos.y;
  const left = Math.hypot(dx, dy);
  const dist = Math.min(speed, MAX_SPEED) * dtSecs;
  if (left <= dist) {
    if (canStand(world, target.x, target.y, roles)) return { pos: { ...target }, done: true };
  }
  const k = Math.min(1, dist / left);
  const next = slide(world, pos, dx * k, dy * k, roles);
  const moved = Math.hypot(next.x - pos.x, next.y - pos.y);
  return { pos: next, done: moved < 1e-6 };
}
