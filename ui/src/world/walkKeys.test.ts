import { describe, expect, it } from "vitest";
import { WalkKeys, isTypingTarget } from "./walkKeys";

describe("walk keys", () => {
  it("reports only changes: start, diagonal, back, stop", () => {
    const keys = new WalkKeys();
    expect(keys.down("ArrowRight")).toEqual({ x: 1, y: 0 });
    expect(keys.down("ArrowRight"), "key repeat changes nothing").toBeNull();
    expect(keys.down("KeyW")).toEqual({ x: 1, y: -1 });
    expect(keys.up("ArrowRight")).toEqual({ x: 0, y: -1 });
    expect(keys.up("KeyW")).toEqual({ x: 0, y: 0 });
    expect(keys.up("KeyW")).toBeNull();
  });

  it("opposite keys cancel and other keys are ignored", () => {
    const keys = new WalkKeys();
    expect(keys.down("KeyQ")).toBeNull();
    keys.down("ArrowLeft");
    expect(keys.down("KeyD")).toEqual({ x: 0, y: 0 });
    expect(keys.up("ArrowLeft")).toEqual({ x: 1, y: 0 });
    expect(keys.releaseAll()).toEqual({ x: 0, y: 0 });
    expect(keys.releaseAll()).toBeNull();
  });

  it("leaves keys typed into fields alone", () => {
    expect(isTypingTarget({ tagName: "INPUT", isContentEditable: false } as unknown as EventTarget)).toBe(true);
    expect(isTypingTarget({ tagName: "BUTTON", isContentEditable: false } as unknown as EventTarget)).toBe(false);
    expect(isTypingTarget(null)).toBe(false);
  });
});
