// The one store: fed by the backend's snapshot and events through `apply`, published to the
// components as a signal at most once a frame (levels and presence arrive many times a second).
import { signal, type ReadonlySignal } from "@preact/signals";
import type { AppErrorCode, AppEvent, Backend } from "../backend/types";
import { apply, initialState, type Action, type AppState } from "./apply";

export class Store {
  private readonly published = signal<AppState>(initialState());
  private latest: AppState = initialState();
  private flushPending = false;

  constructor(readonly backend: Backend) {}

  /** What components render from; updated at most once per animation frame. */
  get state(): ReadonlySignal<AppState> {
    return this.published;
  }

  /** The newest state, ahead of the next render (the map's animation loop reads this). */
  get now(): AppState {
    return this.latest;
  }

  dispatch(action: Action): void {
    this.latest = apply(this.latest, action);
    if (this.flushPending) return;
    this.flushPending = true;
    const flush = () => {
      if (!this.flushPending) return;
      this.flushPending = false;
      this.published.value = this.latest;
    };
    // rAF batches a burst into one render; the timer covers hidden windows where rAF stalls.
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(flush);
    setTimeout(flush, 100);
  }

  /**
   * Subscribes first and buffers, then applies the snapshot and replays what arrived meanwhile,
   * so no event is lost between the two calls. Returns the unsubscribe function.
   */
  async start(): Promise<() => void> {
    let buffer: AppEvent[] | null = [];
    const unsubscribe = await this.backend.subscribe((event) => {
      if (buffer) buffer.push(event);
      else this.dispatch(event);
    });
    try {
      const snapshot = await this.backend.snapshot();
      this.dispatch({ kind: "snapshot", snapshot });
    } finally {
      const pending = buffer;
      buffer = null;
      pending.forEach((event) => this.dispatch(event));
    }
    return unsubscribe;
  }

  /** Runs a backend command; a rejection becomes an error toast instead of an unhandled promise. */
  async command<T>(run: (backend: Backend) => Promise<T>): Promise<T | undefined> {
    try {
      return await run(this.backend);
    } catch (e) {
      this.dispatch({ kind: "command_failed", message: errorMessage(e) });
      return undefined;
    }
  }
}

/** A readable message from whatever a command rejected with (Tauri rejects with strings or objects). */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === "string") return e;
  if (e && typeof e === "object" && "message" in e && typeof e.message === "string") return e.message;
  return JSON.stringify(e);
}

/** The {@link AppErrorCode} a command rejected with, if it carries one. */
export function errorCode(e: unknown): AppErrorCode | null {
  if (e && typeof e === "object" && "code" in e && typeof e.code === "string") return e.code as AppErrorCode;
  return null;
}
