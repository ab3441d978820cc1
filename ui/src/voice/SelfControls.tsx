// Your own voice: mute, deafen, talk mode and push-to-talk, and the input level.
import type { TalkMode } from "../backend/types";
import { useStore } from "../state/context";
import { LevelMeter } from "./LevelMeter";
import { GearIcon } from "./icons";

const MODES: { mode: TalkMode; label: string }[] = [
  { mode: "voice_activity", label: "Voice" },
  { mode: "push_to_talk", label: "Push to talk" },
  { mode: "open", label: "Open mic" },
];

/** "Space" -> "Space", "KeyT" -> "T", "Digit1" -> "1". */
export function keyLabel(code: string): string {
  return code.replace(/^Key/, "").replace(/^Digit/, "");
}

export function SelfControls({ onOpenSettings }: { onOpenSettings: () => void }) {
  const store = useStore();
  const { selfVoice: v, levels, settings } = store.state.value;
  return (
    <section class="self-controls" aria-label="Your voice">
      <LevelMeter level={v.selfMuted || v.deafened ? 0 : levels.input} label="Input level" />
      <div class="button-row">
        <button
          class={v.selfMuted ? "active-danger" : ""}
          aria-pressed={v.selfMuted}
          onClick={() => void store.command((b) => b.setSelfMuted(!v.selfMuted))}
          data-testid="self-mute"
        >
          {v.selfMuted ? "Unmute" : "Mute"}
        </button>
        <button
          class={v.deafened ? "active-danger" : ""}
          aria-pressed={v.deafened}
          onClick={() => void store.command((b) => b.setDeafened(!v.deafened))}
          data-testid="deafen"
        >
          {v.deafened ? "Undeafen" : "Deafen"}
        </button>
        <button class="icon-button" aria-label="Voice and device settings" title="Settings" onClick={onOpenSettings} data-testid="open-settings"><GearIcon /></button>
      </div>
      <div class="segmented" role="radiogroup" aria-label="Talk mode">
        {MODES.map((m) => (
          <button
            key={m.mode}
            role="radio"
            aria-checked={v.talkMode === m.mode}
            class={v.talkMode === m.mode ? "selected" : ""}
            onClick={() => void store.command((b) => b.setTalkMode(m.mode))}
          >
            {m.label}
          </button>
        ))}
      </div>
      {v.talkMode === "push_to_talk" && (
        <p class={`ptt-hint ${v.pttPressed ? "pressed" : ""}`} data-testid="ptt">
          {v.pttPressed ? "Talking…" : <>Hold <kbd>{keyLabel(settings.pttKey)}</kbd> to talk</>}
        </p>
      )}
      {v.serverMuted && <p class="error">A moderator muted you.</p>}
    </section>
  );
}
