import { describe, expect, it } from "vitest";
import { parseServerInput } from "./server";

describe("server or invite input", () => {
  it("accepts addresses and invite links", () => {
    expect(parseServerInput(" 192.168.1.20:7800 ")).toMatchObject({ ok: true, kind: "address", host: "192.168.1.20", port: 7800, value: "192.168.1.20:7800" });
    expect(parseServerInput("https://hearth.example.org")).toMatchObject({ ok: true, kind: "address", host: "hearth.example.org", port: null });
    expect(parseServerInput("hearth://10.0.0.7:7800/join/q9Lm2x")).toMatchObject({ ok: true, kind: "invite", host: "10.0.0.7", port: 7800 });
    expect(parseServerInput("[::1]:7800")).toMatchObject({ ok: true, host: "[::1]", port: 7800 });
  });

  it("explains what is wrong", () => {
    const error = (s: string) => { const r = parseServerInput(s); return r.ok ? null : r.error; };
    expect(error("")).toMatch(/Enter a server/);
    expect(error("my server")).toMatch(/no spaces/);
    expect(error("ftp://x:1")).toMatch(/Unknown scheme/);
    expect(error("hearth://10.0.0.7:7800")).toMatch(/invite link is incomplete/);
    expect(error("host:70000")).toMatch(/port/);
    expect(error("bad_host!:1")).toMatch(/not a host/);
  });
});
