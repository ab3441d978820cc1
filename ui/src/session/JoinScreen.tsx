// The first screen: server or invite, display name, recent servers, and "Host a LAN room".
import { useState } from "preact/hooks";
import { useStore } from "../state/context";
import { errorCode, errorMessage } from "../state/store";
import type { AppErrorCode } from "../backend/types";
import { parseServerInput } from "./server";
import { HostSwitch } from "./HostSwitch";
import { StatusBanner } from "./StatusBanner";

const RECENT_LIMIT = 8;

export function JoinScreen() {
  const store = useStore();
  const { settings, session } = store.state.value;
  const [server, setServer] = useState(settings.recentServers[0] ?? "");
  const [name, setName] = useState(settings.displayName);
  const [error, setErrorState] = useState<{ message: string; code: AppErrorCode | null } | null>(null);
  const setError = (message: string | null, code: AppErrorCode | null = null) =>
    setErrorState(message === null ? null : { message, code });
  const [busy, setBusy] = useState(false);
  const connecting = session.status === "connecting" || session.status === "reconnecting";

  const join = async (e: Event) => {
    e.preventDefault();
    const parsed = parseServerInput(server);
    if (!parsed.ok) return setError(parsed.error, "invalid_server");
    if (!name.trim()) return setError("Choose a display name.", "invalid_name");
    setError(null);
    setBusy(true);
    try {
      const next = {
        ...settings,
        displayName: name.trim(),
        recentServers: [parsed.value, ...settings.recentServers.filter((s) => s !== parsed.value)].slice(0, RECENT_LIMIT),
      };
      await store.backend.saveSettings(next);
      store.dispatch({ kind: "settings_saved", settings: next });
      await store.backend.join(parsed.value, next.displayName);
    } catch (err) {
      setError(errorMessage(err), errorCode(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main class="join-screen">
      <form class="card join-card" onSubmit={join} aria-labelledby="join-title" noValidate>
        <h1 id="join-title"><span class="logo" aria-hidden="true">◉</span> Hearth</h1>
        <p class="muted">Walk up to people and talk.</p>
        <label>
          Server or invite link
          <input
            name="server"
            value={server}
            onInput={(e) => setServer(e.currentTarget.value)}
            placeholder="host:port or hearth://…/join/…"
            autoComplete="off"
            spellcheck={false}
            autoFocus
            aria-invalid={error?.code === "invalid_server"}
          />
        </label>
        <label>
          Display name
          <input name="displayName" value={name} onInput={(e) => setName(e.currentTarget.value)} maxLength={32} autoComplete="nickname" aria-invalid={error?.code === "invalid_name"} />
        </label>
        {(error ?? (session.status === "failed" ? session.error : null)) && (
          <p class="error" role="alert" data-testid="join-error">{error?.message ?? (session.status === "failed" ? `Could not join: ${session.error}` : "")}</p>
        )}
        {connecting ? <StatusBanner session={session} /> : (
          <button type="submit" class="primary" disabled={busy} data-testid="join">{busy ? "Joining…" : "Join"}</button>
        )}
        {settings.recentServers.length > 0 && (
          <section aria-label="Recent servers">
            <h2>Recent</h2>
            <ul class="recent">
              {settings.recentServers.map((s) => (
                <li key={s}><button type="button" class="link" onClick={() => { setServer(s); setError(null); }}>{s}</button></li>
              ))}
            </ul>
          </section>
        )}
        <hr />
        <HostSwitch displayName={name.trim() || null} />
      </form>
    </main>
  );
}
