// Reading what the user typed into "Server or invite": an address or a hearth:// invite link.

export type ServerInput =
  | { ok: true; kind: "address" | "invite"; host: string; port: number | null; value: string }
  | { ok: false; error: string };

const HOST = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)$/;

/** Accepts "host[:port]", "http(s)://host[:port][/...]", "ws(s)://..." and "hearth://host:port/join/CODE". */
export function parseServerInput(raw: string): ServerInput {
  const value = raw.trim();
  if (!value) return { ok: false, error: "Enter a server address or an invite link." };
  if (/\s/.test(value)) return { ok: false, error: "A server address has no spaces." };
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(value)?.[1]?.toLowerCase();
  if (scheme && !["http", "https", "ws", "wss", "hearth"].includes(scheme)) {
    return { ok: false, error: `Unknown scheme "${scheme}://". Use host:port, http(s):// or a hearth:// invite.` };
  }
  const rest = scheme ? value.slice(scheme.length + 3) : value;
  const [authority = "", ...path] = rest.split("/");
  if (scheme === "hearth" && (path[0] !== "join" || !path[1])) {
    return { ok: false, error: "This invite link is incomplete: it should end in /join/<code>." };
  }
  const m = /^(.*?)(?::(\d+))?$/.exec(authority);
  const host = m?.[1] ?? "";
  if (!HOST.test(host)) return { ok: false, error: `"${authority || value}" is not a host name or address.` };
  const port = m?.[2] === undefined ? null : Number(m[2]);
  if (port !== null && (port < 1 || port > 65535)) return { ok: false, error: "The port must be between 1 and 65535." };
  return { ok: true, kind: scheme === "hearth" ? "invite" : "address", host, port, value };
}
