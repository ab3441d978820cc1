// Chooses the backend at startup: the app's when running inside Tauri, else the simulated world
// (also with `?backend=mock`). The mock is loaded on demand so the app's bundle does not carry it.
import type { Backend, Role } from "./types";
import type { MockBackend } from "./mock/MockBackend";
import { TauriBackend } from "./tauri";

const ROLES: readonly Role[] = ["Admin", "Editor", "Member", "Guest"];

export async function pickBackend(win: Window, search: string): Promise<{ backend: Backend; mock: MockBackend | null }> {
  const params = new URLSearchParams(search);
  const inTauri = "__TAURI_INTERNALS__" in win;
  if (inTauri && params.get("backend") !== "mock") return { backend: new TauriBackend(), mock: null };
  const role = ROLES.find((r) => r === params.get("role")) ?? "Admin";
  const { MockBackend } = await import("./mock/MockBackend");
  const mock = new MockBackend({ role, realtime: true });
  return { backend: mock, mock };
}
