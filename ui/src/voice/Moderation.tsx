// Moderator actions on one peer, limited to what the user's roles allow (the server checks too).
import { useState } from "preact/hooks";
import type { PeerState } from "../backend/types";
import type { ModerationKind } from "../state/permissions";
import { useStore } from "../state/context";

const DURATIONS: { label: string; secs: number | null }[] = [
  { label: "1 minute", secs: 60 },
  { label: "5 minutes", secs: 300 },
  { label: "15 minutes", secs: 900 },
  { label: "1 hour", secs: 3600 },
  { label: "Until unmuted", secs: null },
];

export function Moderation({ peer, allowed }: { peer: PeerState; allowed: ReadonlySet<ModerationKind> }) {
  const store = useStore();
  const [duration, setDuration] = useState("300");
  const [confirmKick, setConfirmKick] = useState(false);
  const [reason, setReason] = useState("");
  const run = (action: Parameters<typeof store.backend.moderate>[0]) => void store.command((b) => b.moderate(action));
  const userId = peer.userId;

  return (
    <div class="moderation" data-testid="moderation" role="group" aria-label={`Moderate ${peer.displayName}`}>
      {allowed.has("mute") && !peer.serverMuted && (
        <span class="mod-mute">
          <select aria-label="Mute duration" value={duration} onChange={(e) => setDuration(e.currentTarget.value)}>
            {DURATIONS.map((d) => <option key={d.label} value={String(d.secs ?? "")}>{d.label}</option>)}
          </select>
          <button onClick={() => run({ action: "mute", userId, durationSecs: duration ? Number(duration) : null })}>Server mute</button>
        </span>
      )}
      {allowed.has("unmute") && peer.serverMuted && (
        <button onClick={() => run({ action: "unmute", userId })}>Server unmute</button>
      )}
      {allowed.has("remove") && <button onClick={() => run({ action: "remove", userId })}>Remove from zone</button>}
      {allowed.has("kick") && !confirmKick && <button class="danger" onClick={() => setConfirmKick(true)}>Kick…</button>}
      {allowed.has("kick") && confirmKick && (
        <span class="mod-kick">
          <input aria-label="Kick reason" placeholder="Reason (optional)" value={reason} onInput={(e) => setReason(e.currentTarget.value)} />
          <button class="danger" onClick={() => { setConfirmKick(false); run({ action: "kick", userId, reason: reason.trim() || null }); }}>Kick</button>
          <button onClick={() => setConfirmKick(false)}>Cancel</button>
        </span>
      )}
    </div>
  );
}
