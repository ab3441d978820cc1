import { describe, expect, it } from "vitest";
import type { ProtocolMessage } from "../backend/types";
import { filterMessages, markRedacted, messageJson, messagesJson, redactForDisplay } from "./filter";

const m = (seq: number, channel: "world" | "signal", direction: "in" | "out", kind: string, payload: unknown): ProtocolMessage =>
  ({ seq, timeMs: Date.UTC(2025, 0, 1, 12, 0, 0, seq), channel, direction, kind, payload });

const list = [
  m(1, "world", "out", "CONNECT", { token: "[redacted]", display_name: "Tess" }),
  m(2, "world", "in", "PRESENCE_UPDATE", { users: [{ user_id: "u-ada" }] }),
  m(3, "signal", "out", "join", { op: 7, t: 500, d: { channel: 4002, token: "[redacted]" } }),
  m(4, "signal", "in", "offer", { op: 7, t: 501, d: { type: "offer" } }),
];

describe("inspector filters", () => {
  it("filters by channel, direction and text on kind or payload", () => {
    const seqs = (f: Parameters<typeof filterMessages>[1]) => filterMessages(list, f).map((x) => x.seq);
    expect(seqs({ channel: "all", direction: "all", text: "" })).toEqual([1, 2, 3, 4]);
    expect(seqs({ channel: "signal", direction: "all", text: "" })).toEqual([3, 4]);
    expect(seqs({ channel: "all", direction: "in", text: "" })).toEqual([2, 4]);
    expect(seqs({ channel: "all", direction: "all", text: "presence" }), "kind, case-insensitive").toEqual([2]);
    expect(seqs({ channel: "all", direction: "all", text: "u-ada" }), "payload text").toEqual([2]);
    expect(seqs({ channel: "world", direction: "out", text: "tess" })).toEqual([1]);
  });

  it("never shows or copies a secret the app forgot to redact", () => {
    const leaky = m(5, "world", "in", "TURN_CREDENTIALS", { username: "1700:u", credential: "c2VjcmV0", nested: { sfu_token: "eyJhbGci" }, list: [{ password: "pw" }] });
    expect(redactForDisplay(leaky.payload)).toEqual({ username: "1700:u", credential: "[redacted]", nested: { sfu_token: "[redacted]" }, list: [{ password: "[redacted]" }] });
    const json = messageJson(leaky);
    expect(json).not.toContain("c2VjcmV0");
    expect(json).not.toContain("eyJhbGci");
    expect(filterMessages([leaky], { channel: "all", direction: "all", text: "eyJ" }), "secrets are not searchable either").toEqual([]);
  });

  it("copies one message or the filtered list as JSON", () => {
    expect(JSON.parse(messageJson(list[1]!))).toEqual({
      seq: 2, time: "2025-01-01T12:00:00.002Z", channel: "world", direction: "in", kind: "PRESENCE_UPDATE", payload: { users: [{ user_id: "u-ada" }] },
    });
    expect(JSON.parse(messagesJson(filterMessages(list, { channel: "signal", direction: "all", text: "" }))).map((x: { kind: string }) => x.kind)).toEqual(["join", "offer"]);
  });

  it("marks redacted values in the pretty payload", () => {
    const parts = markRedacted(messageJson(list[0]!));
    expect(parts.filter((p) => p.redacted).map((p) => p.text)).toEqual(['"[redacted]"']);
    expect(parts.map((p) => p.text).join("")).toBe(messageJson(list[0]!));
  });
});
