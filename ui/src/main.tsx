import { render } from "preact";
import "./styles.css";
import { App } from "./App";
import { pickBackend } from "./backend/pick";
import { Store } from "./state/store";
import { lastCopiedText } from "./inspector/clipboard";
import type { AppState } from "./state/apply";

declare global {
  interface Window {
    /** Read-only view for tests and debugging: copies, never the live objects. */
    __hearth?: { readonly state: AppState; readonly lastCopied: string | null; backendState(): unknown };
  }
}

async function main(): Promise<void> {
  const { backend, mock } = await pickBackend(window, location.search);
  const store = new Store(backend);
  window.__hearth = Object.freeze({
    get state() {
      return structuredClone(store.now);
    },
    get lastCopied() {
      return lastCopiedText();
    },
    backendState: () => mock?.debugState() ?? null,
  });
  const root = document.getElementById("app");
  if (!root) throw new Error("index.html has no #app");
  render(<App store={store} />, root);
  await store.start();
}

main().catch((e) => {
  document.body.textContent = `Hearth could not start: ${e instanceof Error ? e.message : String(e)}`;
});
