// Arrow keys and WASD to a walking direction. The backend hears only changes: a direction on the
// first key down, a new one when the held set changes, (0, 0) when the last key is released.
import type { Point } from "../backend/types";

const DIRECTIONS: Record<string, Point> = {
  ArrowUp: { x: 0, y: -1 }, KeyW: { x: 0, y: -1 },
  ArrowDown: { x: 0, y: 1 }, KeyS: { x: 0, y: 1 },
  ArrowLeft: { x: -1, y: 0 }, KeyA: { x: -1, y: 0 },
  ArrowRight: { x: 1, y: 0 }, KeyD: { x: 1, y: 0 },
};

export function isWalkKey(code: string): boolean {
  return code in DIRECTIONS;
}

/** Keys typed into a field belong to the field, not to walking or push-to-talk. */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).tagName !== "string") return false;
  const el = target as HTMLElement;
  return el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName);
}

export class WalkKeys {
  private readonly held = new Set<string>();
  private current: Point = { x: 0, y: 0 };

  /** Returns the new direction when it changed, else null. */
  down(code: string): Point | null {
    if (!isWalkKey(code)) return null;
    this.held.add(code);
    return this.update();
  }

  up(code: string): Point | null {
    if (!this.held.delete(code)) return null;
    return this.update();
  }

  isHeld(code: string): boolean {
    return this.held.has(code);
  }

  /** Focus left the window: stop walking. */
  releaseAll(): Point | null {
    this.held.clear();
    return this.update();
  }

  private update(): Point | null {
    let x = 0;
    let y = 0;
    for (const code of this.held) {
      const d = DIRECTIONS[code];
      if (d) {
        x += d.x;
        y += d.y;
      }
    }
    const next = { x: Math.sign(x), y: Math.sign(y) };
    if (next.x === this.current.x && next.y === this.current.y) return null;
    this.current = next;
    return next;
  }
}
