// The side panel: where you are, your voice, and the people you can hear.
import { useMemo } from "preact/hooks";
import { useStore } from "../state/context";
import { allowedModeration } from "../state/permissions";
import { SelfControls } from "./SelfControls";
import { PeerRow } from "./PeerRow";

export function VoicePanel({ onOpenSettings }: { onOpenSettings: () => void }) {
  const { me, peers, levels } = useStore().state.value;
  const roles = me?.roles ?? [];
  const allowed = useMemo(() => allowedModeration(roles), [roles.join(",")]);
  const sorted = useMemo(
    () => [...peers].sort((a, b) => Number(b.path !== "none") - Number(a.path !== "none") || a.displayName.localeCompare(b.displayName)),
    [peers],
  );
  return (
    <aside class="voice-panel" aria-label="Voice">
      <SelfControls onOpenSettings={onOpenSettings} />
      <h2 class="section-title">In this zone <span class="count">{peers.length}</span></h2>
      {sorted.length === 0 ? <p class="muted empty">Nobody here yet. Walk around to find people.</p> : (
        <ul class="peer-list">
          {sorted.map((p) => <PeerRow key={p.userId} peer={p} level={levels.peers[p.userId] ?? 0} allowed={allowed} />)}
        </ul>
      )}
    </aside>
  );
}
