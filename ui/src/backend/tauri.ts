// The real backend: the app's Tauri commands (snake_case names, camelCase arguments) and one
// `Channel` that carries every AppEvent.
import { Channel, invoke } from "@tauri-apps/api/core";
import type {
  AppEvent, AppSnapshot, Backend, Devices, HostInfo, ModerationAction, Settings, TalkMode, UserId,
} from "./types";

export class TauriBackend implements Backend {
  snapshot(): Promise<AppSnapshot> {
    return invoke("snapshot");
  }

  async subscribe(onEvent: (event: AppEvent) => void): Promise<() => void> {
    let live = true;
    const channel = new Channel<AppEvent>();
    channel.onmessage = (event) => {
      if (live) onEvent(event);
    };
    await invoke("subscribe", { onEvent: channel });
    // The app drops the channel when a send fails; ignoring further messages is enough here.
    return () => {
      live = false;
    };
  }

  join(server: string, displayName: string): Promise<void> {
    return invoke("join", { server, displayName });
  }
  leave(): Promise<void> {
    return invoke("leave");
  }
  walkTo(x: number, y: number): Promise<void> {
    return invoke("walk_to", { x, y });
  }
  walk(dx: number, dy: number): Promise<void> {
    return invoke("walk", { dx, dy });
  }
  setSelfMuted(muted: boolean): Promise<void> {
    return invoke("set_self_muted", { muted });
  }
  setDeafened(deafened: boolean): Promise<void> {
    return invoke("set_deafened", { deafened });
  }
  setTalkMode(mode: TalkMode): Promise<void> {
    return invoke("set_talk_mode", { mode });
  }
  setPushToTalk(pressed: boolean): Promise<void> {
    return invoke("set_push_to_talk", { pressed });
  }
  setUserVolume(userId: UserId, volume: number): Promise<void> {
    return invoke("set_user_volume", { userId, volume });
  }
  setUserMuted(userId: UserId, muted: boolean): Promise<void> {
    return invoke("set_user_muted", { userId, muted });
  }
  listDevices(): Promise<Devices> {
    return invoke("list_devices");
  }
  setDevices(input: string | null, output: string | null): Promise<void> {
    return invoke("set_devices", { input, output });
  }
  saveSettings(settings: Settings): Promise<void> {
    return invoke("save_settings", { settings });
  }
  moderate(action: ModerationAction): Promise<void> {
    return invoke("moderate", { action });
  }
  hostStart(worldFile: string | null): Promise<HostInfo> {
    return invoke("host_start", { worldFile });
  }
  hostStop(): Promise<void> {
    return invoke("host_stop");
  }
  clearProtocol(): Promise<void> {
    return invoke("clear_protocol");
  }
}
