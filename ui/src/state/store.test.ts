import { describe, expect, it } from "vitest";
import { errorCode, errorMessage } from "./store";

describe("command errors", () => {
  it("reads the app's {code, message} rejection", () => {
    const rejected = { code: "invalid_server", message: "\"x y\" is not a host name or address." };
    expect(errorCode(rejected)).toBe("invalid_server");
    expect(errorMessage(rejected)).toBe(rejected.message);
  });

  it("reads the mock's Error carrying a code, and has no code for a bare string", () => {
    expect(errorCode(Object.assign(new Error("Not in a world."), { code: "not_in_world" }))).toBe("not_in_world");
    expect(errorCode("socket closed")).toBeNull();
    expect(errorMessage("socket closed")).toBe("socket closed");
  });
});
