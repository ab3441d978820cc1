// The inspector's pure parts: filtering, the text shown and copied, and a second line of
// redaction so a secret the app forgot to redact is never shown or copied.
import type { ProtocolMessage } from "../backend/types";

export interface InspectorFilter {
  channel: "all" | ProtocolMessage["channel"];
  direction: "all" | ProtocolMessage["direction"];
  /** Case-insensitive, matched against the kind and the payload's JSON. */
  text: string;
}

export const REDACTED = "[redacted]";
const SECRET_KEY = /token|credential|password|secret|authorization|api_?key/i;

/** The payload with every value under a secret-looking key replaced by "[redacted]". */
export function redactForDisplay(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactForDisplay);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) && v !== null && v !== undefined ? REDACTED : redactForDisplay(v)]),
    );
  }
  return value;
}

const searchText = new WeakMap<ProtocolMessage, string>();

/** Lower-cased "kind payload-json", computed once per message (presence arrives at 10 Hz). */
function textOf(m: ProtocolMessage): string {
  let t = searchText.get(m);
  if (t === undefined) {
    t = `${m.kind} ${JSON.stringify(redactForDisplay(m.payload))}`.toLowerCase();
    searchText.set(m, t);
  }
  return t;
}

export function matches(m: ProtocolMessage, f: InspectorFilter): boolean {
  if (f.channel !== "all" && m.channel !== f.channel) return false;
  if (f.direction !== "all" && m.direction !== f.direction) return false;
  const needle = f.text.trim().toLowerCase();
  return needle === "" || textOf(m).includes(needle);
}

export function filterMessages(list: readonly ProtocolMessage[], f: InspectorFilter): ProtocolMessage[] {
  return list.filter((m) => matches(m, f));
}

/** "14:03:27.512" in local time. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

function exportable(m: ProtocolMessage): object {
  return {
    seq: m.seq, time: new Date(m.timeMs).toISOString(), channel: m.channel, direction: m.direction,
    kind: m.kind, payload: redactForDisplay(m.payload),
  };
}

/** One message as the "Copy JSON" button copies it. */
export function messageJson(m: ProtocolMessage): string {
  return JSON.stringify(exportable(m), null, 2);
}

/** The filtered list as one JSON array. */
export function messagesJson(list: readonly ProtocolMessage[]): string {
  return JSON.stringify(list.map(exportable), null, 2);
}

/** Splits pretty JSON so the view can mark each redacted value. */
export function markRedacted(json: string): { text: string; redacted: boolean }[] {
  const quoted = JSON.stringify(REDACTED);
  const parts = json.split(quoted);
  return parts.flatMap((text, i) => (i === 0 ? [{ text, redacted: false }] : [{ text: quoted, redacted: true }, { text, redacted: false }])).filter((p) => p.text !== "");
}
