// Every signaling message of both protocols, newest at the bottom: filters, details, copy.
// Only the rows in view are rendered, so 2,000 rows and 10 Hz presence stay cheap.
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import type { ProtocolMessage } from "../backend/types";
import { useStore } from "../state/context";
import { copyText } from "./clipboard";
import { filterMessages, formatTime, markRedacted, messageJson, messagesJson, type InspectorFilter } from "./filter";

const ROW = 22;
const OVERSCAN = 8;

export function Inspector({ onClose }: { onClose: () => void }) {
  const store = useStore();
  const all = store.state.value.protocol;
  const [filter, setFilter] = useState<InspectorFilter>({ channel: "all", direction: "all", text: "" });
  const [selected, setSelected] = useState<number | null>(null);
  const [follow, setFollow] = useState(true);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(200);
  const [copied, setCopied] = useState<string | null>(null);
  const list = useRef<HTMLDivElement>(null);

  const shown = useMemo(() => filterMessages(all, filter), [all, filter]);
  const current = selected === null ? null : all.find((m) => m.seq === selected) ?? null;

  useEffect(() => {
    const el = list.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setHeight(el.clientHeight));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  useLayoutEffect(() => {
    const el = list.current;
    if (el && follow) el.scrollTop = el.scrollHeight;
  }, [shown, follow]);

  const onScroll = () => {
    const el = list.current;
    if (!el) return;
    setScrollTop(el.scrollTop);
    setFollow(el.scrollTop + el.clientHeight >= el.scrollHeight - ROW);
  };
  const copy = async (what: string, text: string) => {
    await copyText(text);
    setCopied(what);
    setTimeout(() => setCopied(null), 1500);
  };
  const clear = async () => {
    await store.command((b) => b.clearProtocol());
    store.dispatch({ kind: "protocol_cleared" });
    setSelected(null);
  };
  const onListKey = (e: KeyboardEvent) => {
    if (e.key !== "ArrowDown" && e.key !== "ArrowUp") return;
    e.preventDefault();
    e.stopPropagation(); // arrows here pick a row; they must not walk the avatar
    const i = shown.findIndex((m) => m.seq === selected);
    const next = shown[Math.max(0, Math.min(shown.length - 1, i < 0 ? shown.length - 1 : i + (e.key === "ArrowDown" ? 1 : -1)))];
    if (next) setSelected(next.seq);
  };
  const set = (patch: Partial<InspectorFilter>) => setFilter({ ...filter, ...patch });

  const first = Math.max(0, Math.floor(scrollTop / ROW) - OVERSCAN);
  const last = Math.min(shown.length, Math.ceil((scrollTop + height) / ROW) + OVERSCAN);
  const rows = shown.slice(first, last);

  return (
    <section class="inspector" aria-label="Protocol inspector" data-testid="inspector">
      <div class="inspector-toolbar">
        <strong>Protocol</strong>
        <select aria-label="Channel" value={filter.channel} onChange={(e) => set({ channel: e.currentTarget.value as InspectorFilter["channel"] })} data-testid="filter-channel">
          <option value="all">All channels</option>
          <option value="world">World</option>
          <option value="signal">Signal (SFU)</option>
        </select>
        <select aria-label="Direction" value={filter.direction} onChange={(e) => set({ direction: e.currentTarget.value as InspectorFilter["direction"] })} data-testid="filter-direction">
          <option value="all">Both directions</option>
          <option value="in">↓ Received</option>
          <option value="out">↑ Sent</option>
        </select>
        <input type="search" aria-label="Filter by kind or payload" placeholder="Filter kind or payload" value={filter.text} onInput={(e) => set({ text: e.currentTarget.value })} data-testid="filter-text" />
        <span class="muted count" data-testid="inspector-count">{shown.length} / {all.length}</span>
        <span class="grow" />
        {!follow && <button onClick={() => setFollow(true)}>Paused: jump to latest</button>}
        <button onClick={() => copy("list", messagesJson(shown))} data-testid="copy-filtered">{copied === "list" ? "Copied" : `Copy ${shown.length} as JSON`}</button>
        <button onClick={clear}>Clear</button>
        <button class="icon-button" aria-label="Close inspector" onClick={onClose}>×</button>
      </div>
      <div class="inspector-body">
        <div class="inspector-list" ref={list} onScroll={onScroll} onKeyDown={onListKey} role="listbox" aria-label="Messages" tabIndex={0}>
          <div style={{ height: `${shown.length * ROW}px`, position: "relative" }}>
            {rows.map((m, i) => (
              <MessageRow key={m.seq} m={m} top={(first + i) * ROW} selected={m.seq === selected} onSelect={() => setSelected(m.seq)} />
            ))}
          </div>
        </div>
        <div class="inspector-detail" data-testid="message-detail">
          {current ? (
            <>
              <div class="detail-head">
                <span>#{current.seq} {current.kind}</span>
                <button onClick={() => copy("one", messageJson(current))} data-testid="copy-one">{copied === "one" ? "Copied" : "Copy as JSON"}</button>
              </div>
              <pre>{markRedacted(messageJson(current)).map((p, i) => (p.redacted ? <mark key={i} class="redacted">{p.text}</mark> : p.text))}</pre>
            </>
          ) : <p class="muted">Select a message to see its payload.</p>}
        </div>
      </div>
    </section>
  );
}

function MessageRow({ m, top, selected, onSelect }: { m: ProtocolMessage; top: number; selected: boolean; onSelect: () => void }) {
  return (
    <div
      class={`msg-row ${selected ? "selected" : ""} dir-${m.direction}`}
      style={{ top: `${top}px`, height: `${ROW}px` }}
      role="option"
      aria-selected={selected}
      onClick={onSelect}
      data-testid="msg-row"
    >
      <span class="msg-time">{formatTime(m.timeMs)}</span>
      <span class={`msg-channel ch-${m.channel}`}>{m.channel}</span>
      <span class="msg-dir" aria-label={m.direction === "in" ? "received" : "sent"}>{m.direction === "in" ? "↓" : "↑"}</span>
      <span class="msg-kind">{m.kind}</span>
    </div>
  );
}
