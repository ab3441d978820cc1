// Notices from the app (and failed commands) as toasts that leave on their own.
import { useEffect } from "preact/hooks";
import { useStore } from "../state/context";
import type { Notice } from "../state/apply";

const LIFETIME_MS = { info: 4000, warning: 6000, error: 8000 } as const;

function Toast({ notice }: { notice: Notice }) {
  const store = useStore();
  const dismiss = () => store.dispatch({ kind: "notice_dismissed", id: notice.id });
  useEffect(() => {
    const t = setTimeout(dismiss, LIFETIME_MS[notice.level]);
    return () => clearTimeout(t);
  }, [notice.id]);
  return (
    <div class={`toast toast-${notice.level}`} role={notice.level === "error" ? "alert" : "status"}>
      <span>{notice.message}</span>
      <button class="icon-button" aria-label="Dismiss" onClick={dismiss}>×</button>
    </div>
  );
}

export function Toasts() {
  const notices = useStore().state.value.notices;
  return (
    <div class="toasts" aria-live="polite">
      {notices.map((n) => <Toast key={n.id} notice={n} />)}
    </div>
  );
}
