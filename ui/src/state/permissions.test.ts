import { describe, expect, it } from "vitest";
import { allowedModeration } from "./permissions";

describe("moderation permissions", () => {
  it("follows the world server's role matrix", () => {
    expect([...allowedModeration(["Admin"])].sort()).toEqual(["kick", "mute", "remove", "unmute"]);
    expect([...allowedModeration(["Editor"])].sort()).toEqual(["mute", "unmute"]);
    expect(allowedModeration(["Member"]).size).toBe(0);
    expect(allowedModeration(["Guest"]).size).toBe(0);
    expect(allowedModeration([]).size).toBe(0);
  });

  it("combines roles", () => {
    expect(allowedModeration(["Member", "Admin"]).has("kick")).toBe(true);
  });
});
