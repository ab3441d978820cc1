// Avatars glide between position updates (presence arrives at about 10 Hz, frames at 60).
import type { Point } from "../backend/types";

/** How quickly a drawn position catches up, per second; about 90% in 160 ms. */
const CATCH_UP = 14;
/** Farther than this (tiles) is a teleport (zone removal, spawn): jump, don't glide. */
const SNAP = 5;
/** Closer than this (tiles) counts as arrived. */
const SETTLED = 0.002;

export class Smoothing {
  private readonly drawn = new Map<string, Point>();
  /** Whether an avatar was still gliding at the last step; reset by `keepOnly` (once a frame). */
  moving = false;

  /** The position to draw this frame for `id`, moving toward `target`. */
  step(id: string, target: Point, dtSecs: number): Point {
    const cur = this.drawn.get(id);
    if (!cur || Math.hypot(target.x - cur.x, target.y - cur.y) > SNAP) {
      const p = { x: target.x, y: target.y };
      this.drawn.set(id, p);
      return p;
    }
    const k = 1 - Math.exp(-CATCH_UP * dtSecs);
    cur.x += (target.x - cur.x) * k;
    cur.y += (target.y - cur.y) * k;
    if (Math.hypot(target.x - cur.x, target.y - cur.y) < SETTLED) {
      cur.x = target.x;
      cur.y = target.y;
    } else {
      this.moving = true;
    }
    return cur;
  }

  /** Forgets avatars no longer present; ends the frame (see `moving`). */
  keepOnly(ids: ReadonlySet<string>): boolean {
    const moving = this.moving;
    this.moving = false;
    for (const id of this.drawn.keys()) if (!ids.has(id)) this.drawn.delete(id);
    return moving;
  }
}
