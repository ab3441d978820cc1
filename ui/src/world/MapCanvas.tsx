// The world map: static layers drawn once, avatars on top, camera on you, click to walk. Frames
// are drawn only while something moves or someone speaks; a still, quiet room costs nothing.
import { useEffect, useRef } from "preact/hooks";
import type { WorldFile } from "../backend/types";
import { useStore } from "../state/context";
import { TILE, drawAvatar, renderStaticMap, type AvatarLook } from "./draw";
import { Smoothing } from "./smoothing";
import { zoneLabel } from "./geometry";

/** Proximity audio radius in tiles (SPEC section 6), drawn around you in an open area. */
const AUDIO_RADIUS = 6;
/** Frame interval while only speaking rings move. */
const RING_FRAME_MS = 50;

export function MapCanvas({ world }: { world: WorldFile }) {
  const store = useStore();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const camera = useRef({ x: 0, y: 0, ready: false });
  const clickMark = useRef<{ x: number; y: number; at: number } | null>(null);

  useEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext("2d");
    if (!canvas || !ctx) return;
    const smoothing = new Smoothing();
    let dpr = 0;
    let staticMap: HTMLCanvasElement | null = null;
    let last = performance.now();
    let frame = 0;
    let scheduled = false;
    let pulse = 0;
    const wake = () => {
      if (scheduled) return;
      scheduled = true;
      window.clearTimeout(pulse);
      frame = requestAnimationFrame(draw);
    };

    const draw = (now: number) => {
      scheduled = false;
      const dt = Math.min(0.1, (now - last) / 1000);
      last = now;
      const cssW = canvas.clientWidth;
      const cssH = canvas.clientHeight;
      const ratio = window.devicePixelRatio || 1;
      if (canvas.width !== Math.round(cssW * ratio) || canvas.height !== Math.round(cssH * ratio)) {
        canvas.width = Math.round(cssW * ratio);
        canvas.height = Math.round(cssH * ratio);
      }
      if (ratio !== dpr || !staticMap) {
        dpr = ratio;
        staticMap = renderStaticMap(world, dpr);
      }
      const s = store.now;
      const me = s.me;
      const mapW = world.map.width * TILE;
      const mapH = world.map.height * TILE;
      const mePos = me ? smoothing.step(me.userId, me, dt) : { x: world.map.width / 2, y: world.map.height / 2 };
      const follow = (center: number, view: number, size: number) =>
        size <= view ? (size - view) / 2 : Math.max(0, Math.min(size - view, center - view / 2));
      const target = { x: follow(mePos.x * TILE, cssW, mapW), y: follow(mePos.y * TILE, cssH, mapH) };
      const cam = camera.current;
      if (!cam.ready) Object.assign(cam, target, { ready: true });
      const k = 1 - Math.exp(-10 * dt);
      cam.x += (target.x - cam.x) * k;
      cam.y += (target.y - cam.y) * k;

      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.fillStyle = "#0b0d12";
      ctx.fillRect(0, 0, cssW, cssH);
      ctx.translate(-Math.round(cam.x), -Math.round(cam.y));
      ctx.drawImage(staticMap, 0, 0, mapW, mapH);

      if (me && me.topology === "proximity") {
        ctx.strokeStyle = "rgba(88,101,242,0.35)";
        ctx.fillStyle = "rgba(88,101,242,0.06)";
        ctx.lineWidth = 1;
        ctx.beginPath();
        ctx.arc(mePos.x * TILE, mePos.y * TILE, AUDIO_RADIUS * TILE, 0, Math.PI * 2);
        ctx.fill();
        ctx.stroke();
      }
      const mark = clickMark.current;
      if (mark && now - mark.at < 700) {
        const t = (now - mark.at) / 700;
        ctx.strokeStyle = `rgba(255,255,255,${1 - t})`;
        ctx.lineWidth = 2;
        ctx.beginPath();
        ctx.arc(mark.x * TILE, mark.y * TILE, 4 + t * 10, 0, Math.PI * 2);
        ctx.stroke();
      }

      const ids = new Set<string>();
      const looks: AvatarLook[] = s.peers.map((p) => {
        ids.add(p.userId);
        const pos = smoothing.step(p.userId, p, dt);
        const level = s.levels.peers[p.userId] ?? 0;
        return { userId: p.userId, name: p.displayName, x: pos.x * TILE, y: pos.y * TILE, self: false, speaking: p.speaking, level, muted: p.serverMuted || p.locallyMuted };
      });
      if (me) {
        ids.add(me.userId);
        const v = s.selfVoice;
        looks.push({
          userId: me.userId, name: me.displayName, x: mePos.x * TILE, y: mePos.y * TILE, self: true,
          speaking: v.speaking, level: s.levels.input, muted: v.selfMuted || v.serverMuted,
        });
      }
      const gliding = smoothing.keepOnly(ids);
      looks.sort((a, b) => a.y - b.y).forEach((a) => drawAvatar(ctx, a, now));

      const cameraMoving = Math.abs(target.x - cam.x) > 0.25 || Math.abs(target.y - cam.y) > 0.25;
      const marking = mark !== null && now - mark.at < 700;
      if (gliding || cameraMoving || marking) wake();
      // Speaking rings only pulse: 20 frames a second (the levels' own rate) is smooth enough.
      else if (looks.some((a) => a.speaking)) pulse = window.setTimeout(wake, RING_FRAME_MS);
    };
    // Anything the store learns (a move, a level, a peer) may change the picture.
    const unsubscribe = store.state.subscribe(() => {
      if (!scheduled) last = performance.now();
      wake();
    });
    // A layout change (window, panels) resizes the canvas's backing store on the next frame.
    const resized = new ResizeObserver(wake);
    resized.observe(canvas);
    wake();
    return () => {
      cancelAnimationFrame(frame);
      window.clearTimeout(pulse);
      unsubscribe();
      resized.disconnect();
    };
  }, [world, store]);

  const onClick = (e: MouseEvent) => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const rect = canvas.getBoundingClientRect();
    const x = (e.clientX - rect.left + camera.current.x) / TILE;
    const y = (e.clientY - rect.top + camera.current.y) / TILE;
    if (x < 0 || y < 0 || x >= world.map.width || y >= world.map.height) return;
    clickMark.current = { x, y, at: performance.now() };
    void store.command((b) => b.walkTo(x, y));
  };

  const me = store.state.value.me;
  const zone = me ? world.zones.find((z) => z.id === me.zone) : undefined;
  return (
    <canvas
      ref={canvasRef}
      class="map-canvas"
      data-testid="map"
      tabIndex={0}
      role="img"
      aria-label={`Map of ${world.meta.name}${zone ? `; you are in ${zoneLabel(zone)}` : ""}. Arrow keys or WASD walk; click walks to a point.`}
      onClick={onClick}
    />
  );
}
