// Connecting, reconnecting (attempt N, next try in S s) and failed, with Retry and Leave.
import { useEffect, useState } from "preact/hooks";
import type { SessionStatus } from "../backend/types";
import { useStore } from "../state/context";

function useCountdown(secs: number, key: unknown): number {
  const [left, setLeft] = useState(secs);
  useEffect(() => {
    setLeft(secs);
    const started = Date.now();
    const t = setInterval(() => setLeft(Math.max(0, Math.ceil(secs - (Date.now() - started) / 1000))), 250);
    return () => clearInterval(t);
  }, [key]);
  return left;
}

export function StatusBanner({ session }: { session: SessionStatus }) {
  const store = useStore();
  const { lastServer, settings } = store.state.value;
  const reconnect = session.status === "reconnecting" ? session : null;
  const left = useCountdown(reconnect?.inSecs ?? 0, reconnect ? `${reconnect.attempt}` : null);
  if (session.status === "idle" || session.status === "connected") return null;

  const retry = async () => {
    if (!lastServer) return;
    await store.command(async (b) => {
      if (session.status === "reconnecting") await b.leave();
      await b.join(lastServer, settings.displayName);
    });
  };
  const leave = () => void store.command((b) => b.leave());

  return (
    <div class={`status-banner status-${session.status}`} role={session.status === "failed" ? "alert" : "status"} data-testid="status">
      {session.status === "connecting" && <><span class="spinner" aria-hidden="true" /> Connecting to {session.server}…</>}
      {session.status === "reconnecting" && (
        <>
          <span class="spinner" aria-hidden="true" />
          <span>Reconnecting (attempt {session.attempt}), next try in {left} s. <span class="muted">{session.error}</span></span>
        </>
      )}
      {session.status === "failed" && <span>Connection failed: {session.error}</span>}
      <span class="grow" />
      {session.status !== "connecting" && lastServer && <button onClick={retry}>Retry now</button>}
      <button class="danger" onClick={leave}>{session.status === "connecting" ? "Cancel" : "Leave"}</button>
    </div>
  );
}
