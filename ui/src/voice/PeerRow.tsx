// One person in your zone: how you hear them, whether they speak, your volume and mute for them.
import { useEffect, useState } from "preact/hooks";
import type { PeerState } from "../backend/types";
import type { ModerationKind } from "../state/permissions";
import { useStore } from "../state/context";
import { avatarColor, initials } from "../world/draw";
import { Moderation } from "./Moderation";
import { ShieldIcon, SpeakerIcon, SpeakerOffIcon } from "./icons";

const PATH_LABEL = { p2p: "P2P", turn: "TURN", sfu: "SFU", none: "Out of range" } as const;

export function PeerRow({ peer, level, allowed }: { peer: PeerState; level: number; allowed: ReadonlySet<ModerationKind> }) {
  const store = useStore();
  const [volume, setVolume] = useState(Math.round(peer.volume * 100));
  const [open, setOpen] = useState(false);
  useEffect(() => setVolume(Math.round(peer.volume * 100)), [peer.volume]);
  const link = peer.path === "none" ? "none" : peer.connected ? "connected" : "connecting";

  const onVolume = (v: number) => {
    setVolume(v);
    void store.command((b) => b.setUserVolume(peer.userId, v / 100));
  };

  return (
    <li class={`peer ${peer.speaking ? "speaking" : ""}`} data-testid="peer" data-user={peer.userId}>
      <div class="peer-line">
        <span class="avatar" style={{ background: avatarColor(peer.userId), "--level": String(level) }} aria-hidden="true">
          {initials(peer.displayName)}
        </span>
        <span class="peer-name">
          {peer.displayName}
          {peer.speaking && <span class="sr-only"> (speaking)</span>}
        </span>
        {peer.serverMuted && <span class="badge badge-danger" title="Muted by a moderator">Server muted</span>}
        <span class={`badge path-${peer.path} link-${link}`} title={link === "none" ? "Too far to hear" : `${PATH_LABEL[peer.path]}, ${link}`} data-testid="path">
          {PATH_LABEL[peer.path]}{link === "connecting" ? " …" : ""}
        </span>
      </div>
      <div class="peer-controls">
        <input
          type="range"
          min={0}
          max={200}
          step={5}
          value={volume}
          aria-label={`Volume for ${peer.displayName}`}
          aria-valuetext={`${volume}%`}
          onInput={(e) => onVolume(Number(e.currentTarget.value))}
          data-testid="volume"
        />
        <span class="volume-value">{volume}%</span>
        <button
          class={`icon-button ${peer.locallyMuted ? "active-danger" : ""}`}
          aria-pressed={peer.locallyMuted}
          aria-label={`${peer.locallyMuted ? "Unmute" : "Mute"} ${peer.displayName} for me`}
          title={peer.locallyMuted ? "Unmute for me" : "Mute for me"}
          onClick={() => void store.command((b) => b.setUserMuted(peer.userId, !peer.locallyMuted))}
          data-testid="local-mute"
        >
          {peer.locallyMuted ? <SpeakerOffIcon /> : <SpeakerIcon />}
        </button>
        {allowed.size > 0 && (
          <button class="icon-button" aria-expanded={open} aria-label={`Moderate ${peer.displayName}`} title="Moderate" onClick={() => setOpen(!open)} data-testid="moderate-toggle">
            <ShieldIcon />
          </button>
        )}
      </div>
      {open && allowed.size > 0 && <Moderation peer={peer} allowed={allowed} />}
    </li>
  );
}
