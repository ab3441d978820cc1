// In a world: the top bar, the map, the voice panel, the inspector; walking and push-to-talk keys.
import { useEffect, useState } from "preact/hooks";
import type { WorldFile } from "../backend/types";
import { useStore } from "../state/context";
import { StatusBanner } from "../session/StatusBanner";
import { HostSwitch } from "../session/HostSwitch";
import { VoicePanel } from "../voice/VoicePanel";
import { DeviceSettings } from "../settings/DeviceSettings";
import { Inspector } from "../inspector/Inspector";
import { MapCanvas } from "./MapCanvas";
import { ZONE_COLOR } from "./draw";
import { zoneLabel } from "./geometry";
import { WalkKeys, isTypingTarget } from "./walkKeys";

const TOPOLOGY_LABEL = { proximity: "Proximity (P2P)", p2p: "Group call (P2P)", sfu: "Group call (SFU)" } as const;

function useWorldKeys(onToggleInspector: () => void): void {
  const store = useStore();
  useEffect(() => {
    const keys = new WalkKeys();
    const walk = (d: { x: number; y: number } | null) => d && void store.command((b) => b.walk(d.x, d.y));
    const isPtt = (e: KeyboardEvent) => store.now.selfVoice.talkMode === "push_to_talk" && e.code === store.now.settings.pttKey;
    const down = (e: KeyboardEvent) => {
      if (e.key === "F12" || (e.ctrlKey && e.shiftKey && e.code === "KeyI")) {
        e.preventDefault();
        return onToggleInspector();
      }
      if (isTypingTarget(e.target) || e.ctrlKey || e.metaKey || e.altKey || document.querySelector("dialog[open]")) return;
      if (isPtt(e)) {
        e.preventDefault();
        if (!e.repeat) void store.command((b) => b.setPushToTalk(true));
      }
      const d = keys.down(e.code);
      if (d || keys.isHeld(e.code)) e.preventDefault();
      walk(d);
    };
    const up = (e: KeyboardEvent) => {
      if (isPtt(e)) void store.command((b) => b.setPushToTalk(false));
      walk(keys.up(e.code));
    };
    const blur = () => {
      walk(keys.releaseAll());
      if (store.now.selfVoice.pttPressed) void store.command((b) => b.setPushToTalk(false));
    };
    window.addEventListener("keydown", down);
    window.addEventListener("keyup", up);
    window.addEventListener("blur", blur);
    return () => {
      window.removeEventListener("keydown", down);
      window.removeEventListener("keyup", up);
      window.removeEventListener("blur", blur);
    };
  }, [store]);
}

export function WorldScreen({ world }: { world: WorldFile }) {
  const store = useStore();
  const { me, session, host } = store.state.value;
  const [inspector, setInspector] = useState(false);
  const [settingsOpen, setSettingsOpen] = useState(false);
  const [hostOpen, setHostOpen] = useState(false);
  useWorldKeys(() => setInspector((v) => !v));
  const zone = me ? world.zones.find((z) => z.id === me.zone) : undefined;

  return (
    <div class="world-screen">
      <header class="top-bar">
        <span class="world-name"><span class="logo" aria-hidden="true">◉</span> {world.meta.name}</span>
        {me && (
          <span class="zone-chip" style={{ "--zone": ZONE_COLOR[me.zoneType] }} data-testid="zone">
            <span class="zone-dot" aria-hidden="true" />
            {zone ? zoneLabel(zone) : me.zone} <span class="muted">· {me.zoneType.replace(/([a-z])([A-Z])/, "$1 $2")} · {TOPOLOGY_LABEL[me.topology]}</span>
          </span>
        )}
        <span class="grow" />
        {me && <span class="roles muted" data-testid="roles">{me.roles.join(", ")}</span>}
        <div class="popover-anchor">
          <button aria-expanded={hostOpen} onClick={() => setHostOpen(!hostOpen)} class={host.running ? "hosting" : ""}>
            {host.running ? "Hosting" : "Host"}
          </button>
          {hostOpen && <div class="popover"><HostSwitch displayName={store.state.value.settings.displayName || null} /></div>}
        </div>
        <button aria-pressed={inspector} onClick={() => setInspector(!inspector)} title="Protocol inspector (F12)" data-testid="toggle-inspector">
          Inspector
        </button>
        <button class="danger" onClick={() => void store.command((b) => b.leave())} data-testid="leave">Leave</button>
      </header>
      <StatusBanner session={session} />
      <div class="world-main">
        <div class="map-wrap"><MapCanvas world={world} /></div>
        <VoicePanel onOpenSettings={() => setSettingsOpen(true)} />
      </div>
      {inspector && <Inspector onClose={() => setInspector(false)} />}
      {settingsOpen && <DeviceSettings onClose={() => setSettingsOpen(false)} />}
    </div>
  );
}
