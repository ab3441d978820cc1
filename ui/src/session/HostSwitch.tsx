// "Host a LAN room": starts the embedded host (which joins it) and shows the address and invite.
import { useState } from "preact/hooks";
import { useStore } from "../state/context";
import { errorMessage } from "../state/store";
import { copyText } from "../inspector/clipboard";

/** `displayName` is saved first so the host joins under it; null when the name is still missing. */
export function HostSwitch({ displayName }: { displayName: string | null }) {
  const store = useStore();
  const { host, settings } = store.state.value;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState(false);

  const toggle = async () => {
    setError(null);
    if (!host.running && !displayName) {
      setError("Choose a display name first.");
      return;
    }
    setBusy(true);
    try {
      if (host.running) {
        await store.backend.hostStop();
      } else {
        const next = { ...settings, displayName: displayName ?? settings.displayName };
        await store.backend.saveSettings(next);
        store.dispatch({ kind: "settings_saved", settings: next });
        await store.backend.hostStart(null);
      }
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const copy = async () => {
    if (!host.info) return;
    setCopied(await copyText(host.info.inviteLink));
    setTimeout(() => setCopied(false), 1500);
  };

  return (
    <div class="host-switch">
      <label class="switch-row">
        <button
          type="button"
          role="switch"
          aria-checked={host.running}
          class={`switch ${host.running ? "on" : ""}`}
          disabled={busy}
          onClick={toggle}
          data-testid="host-switch"
        >
          <span class="knob" />
        </button>
        <span>Host a LAN room</span>
      </label>
      {(error ?? host.error) && <p class="error" role="alert">{error ?? host.error}</p>}
      {host.running && host.info && (
        <div class="host-info" data-testid="host-info">
          <div><span class="muted">World</span> {host.info.worldName}</div>
          <div><span class="muted">LAN address</span> <code>{host.info.lanAddress}</code></div>
          <div class="invite">
            <code data-testid="invite-link">{host.info.inviteLink}</code>
            <button onClick={copy} aria-label="Copy invite link">{copied ? "Copied" : "Copy"}</button>
          </div>
        </div>
      )}
    </div>
  );
}
