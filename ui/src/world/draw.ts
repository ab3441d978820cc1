// Drawing the world: the map's static layers once into an offscreen canvas, avatars every frame.
import type { WorldFile, ZoneType } from "../backend/types";
import { isWallTile, zoneLabel } from "./geometry";

/** CSS pixels per tile. */
export const TILE = 32;

const FLOOR: Record<number, [string, string]> = {
  1: ["#262b36", "#282d39"], // corridors and open floor
  2: ["#233229", "#25352c"], // team carpet
  3: ["#33291f", "#362b21"], // meeting room wood
  4: ["#2b2438", "#2e263b"], // private room
};

export const ZONE_COLOR: Record<ZoneType, string> = {
  OpenArea: "#8b95a7",
  TeamArea: "#3ecf8e",
  MeetingRoom: "#4f8cff",
  PrivateRoom: "#c084fc",
};

function roundRect(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, r: number): void {
  ctx.beginPath();
  ctx.roundRect(x, y, w, h, r);
}

function drawFloorAndWalls(ctx: CanvasRenderingContext2D, world: WorldFile): void {
  const { width, height, layers } = world.map;
  const floor = layers.find((l) => l.id === "floor")?.tiles ?? [];
  for (let ty = 0; ty < height; ty++) {
    for (let tx = 0; tx < width; tx++) {
      const x = tx * TILE;
      const y = ty * TILE;
      if (isWallTile(world, tx, ty)) {
        ctx.fillStyle = "#11141b";
        ctx.fillRect(x, y, TILE, TILE);
        if (!isWallTile(world, tx, ty + 1)) {
          ctx.fillStyle = "#1b2029"; // the wall's face toward the viewer
          ctx.fillRect(x, y + TILE * 0.6, TILE, TILE * 0.4);
        }
        ctx.fillStyle = "#2a303c";
        ctx.fillRect(x, y, TILE, 2);
        continue;
      }
      const shades = FLOOR[floor[ty * width + tx] ?? 1] ?? FLOOR[1]!;
      ctx.fillStyle = shades[(tx + ty) % 2]!;
      ctx.fillRect(x, y, TILE, TILE);
    }
  }
}

function drawZones(ctx: CanvasRenderingContext2D, world: WorldFile): void {
  ctx.font = "600 11px system-ui, sans-serif";
  ctx.textBaseline = "middle";
  for (const zone of world.zones) {
    if (zone.type === "OpenArea") continue; // the background everyone starts in: no tint, no frame
    const { x, y, width, height } = zone.bounds;
    const color = ZONE_COLOR[zone.type];
    ctx.fillStyle = `${color}14`;
    ctx.fillRect(x * TILE, y * TILE, width * TILE, height * TILE);
    ctx.strokeStyle = `${color}88`;
    ctx.setLineDash([6, 4]);
    ctx.lineWidth = 1.5;
    ctx.strokeRect(x * TILE + 1, y * TILE + 1, width * TILE - 2, height * TILE - 2);
    ctx.setLineDash([]);
    const label = `${zoneLabel(zone)} · ${zone.type.replace(/([a-z])([A-Z])/, "$1 $2")}`;
    const w = ctx.measureText(label).width + 14;
    roundRect(ctx, x * TILE + 6, y * TILE + 6, w, 18, 9);
    ctx.fillStyle = `${color}dd`;
    ctx.fill();
    ctx.fillStyle = "#0d1017";
    ctx.fillText(label, x * TILE + 13, y * TILE + 15.5);
  }
}

function drawDoors(ctx: CanvasRenderingContext2D, world: WorldFile): void {
  for (const door of world.doors) {
    const { x, y, width, height } = door.bounds;
    const restricted = !!door.access?.allowedRoles?.length;
    ctx.fillStyle = restricted ? "#8a5a2b" : "#6b4f35";
    ctx.fillRect(x * TILE + 2, y * TILE + 6, width * TILE - 4, height * TILE - 12);
    ctx.fillStyle = "#f5c46b";
    ctx.fillRect(x * TILE + 2, y * TILE + 6, width * TILE - 4, 2);
    if (restricted) {
      // A small padlock: only some roles may pass.
      const cx = (x + width / 2) * TILE;
      const cy = (y + height / 2) * TILE;
      ctx.strokeStyle = "#f5c46b";
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.arc(cx, cy - 2, 3, Math.PI, 0);
      ctx.stroke();
      ctx.fillStyle = "#f5c46b";
      ctx.fillRect(cx - 4, cy - 2, 8, 6);
    }
  }
}

function drawObject(ctx: CanvasRenderingContext2D, type: string, cx: number, cy: number): void {
  const t = TILE;
  switch (type) {
    case "desk":
      roundRect(ctx, cx - t * 0.8, cy - t * 0.4, t * 1.6, t * 0.8, 4);
      ctx.fillStyle = "#8b6b4a";
      ctx.fill();
      ctx.fillStyle = "#a4825d";
      ctx.fillRect(cx - t * 0.8 + 3, cy - t * 0.4 + 2, t * 1.6 - 6, 3);
      return;
    case "computer":
      roundRect(ctx, cx - t * 0.8, cy - t * 0.4, t * 1.6, t * 0.8, 4);
      ctx.fillStyle = "#6f5a45";
      ctx.fill();
      roundRect(ctx, cx - t * 0.35, cy - t * 0.32, t * 0.7, t * 0.42, 2);
      ctx.fillStyle = "#1d2430";
      ctx.fill();
      ctx.fillStyle = "#5ab0ff";
      ctx.fillRect(cx - t * 0.3, cy - t * 0.27, t * 0.6, t * 0.3);
      return;
    case "chair":
      roundRect(ctx, cx - t * 0.28, cy - t * 0.22, t * 0.56, t * 0.5, 5);
      ctx.fillStyle = "#4b5567";
      ctx.fill();
      ctx.fillStyle = "#5f6b80";
      ctx.fillRect(cx - t * 0.28, cy + t * 0.18, t * 0.56, t * 0.1);
      return;
    case "table":
      roundRect(ctx, cx - t * 3, cy - t * 1.2, t * 6, t * 2.4, t * 1.1);
      ctx.fillStyle = "#7a5b3e";
      ctx.fill();
      ctx.strokeStyle = "#9b7753";
      ctx.lineWidth = 2;
      ctx.stroke();
      return;
    case "whiteboard":
      roundRect(ctx, cx - t * 2, cy - t * 0.22, t * 4, t * 0.44, 3);
      ctx.fillStyle = "#e8edf4";
      ctx.fill();
      ctx.strokeStyle = "#4f8cff";
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(cx - t * 1.5, cy);
      ctx.bezierCurveTo(cx - t, cy - 6, cx - t * 0.5, cy + 6, cx, cy);
      ctx.stroke();
      return;
    case "sofa":
      roundRect(ctx, cx - t * 1.5, cy - t * 0.5, t * 3, t, 8);
      ctx.fillStyle = "#5b4a8a";
      ctx.fill();
      roundRect(ctx, cx - t * 1.3, cy - t * 0.2, t * 2.6, t * 0.55, 6);
      ctx.fillStyle = "#6e5ca3";
      ctx.fill();
      return;
    case "plant":
      ctx.fillStyle = "#7a4e2d";
      roundRect(ctx, cx - t * 0.22, cy, t * 0.44, t * 0.36, 3);
      ctx.fill();
      ctx.fillStyle = "#3fa66a";
      for (const [dx, dy, r] of [[0, -0.15, 0.3], [-0.22, 0, 0.2], [0.22, 0, 0.2]] as const) {
        ctx.beginPath();
        ctx.arc(cx + dx * t, cy + dy * t, r * t, 0, Math.PI * 2);
        ctx.fill();
      }
      return;
    default:
      roundRect(ctx, cx - t * 0.35, cy - t * 0.35, t * 0.7, t * 0.7, 5);
      ctx.fillStyle = "#475063";
      ctx.fill();
      ctx.fillStyle = "#cfd6e4";
      ctx.font = "600 12px system-ui, sans-serif";
      ctx.textAlign = "center";
      ctx.fillText(type.charAt(0).toUpperCase(), cx, cy + 1);
      ctx.textAlign = "start";
  }
}

/** The map without avatars, at `pixelRatio` device pixels per CSS pixel. */
export function renderStaticMap(world: WorldFile, pixelRatio: number): HTMLCanvasElement {
  const canvas = document.createElement("canvas");
  canvas.width = Math.ceil(world.map.width * TILE * pixelRatio);
  canvas.height = Math.ceil(world.map.height * TILE * pixelRatio);
  const ctx = canvas.getContext("2d");
  if (!ctx) return canvas;
  ctx.scale(pixelRatio, pixelRatio);
  drawFloorAndWalls(ctx, world);
  drawZones(ctx, world);
  drawDoors(ctx, world);
  ctx.textBaseline = "middle";
  for (const o of world.objects) drawObject(ctx, o.type, o.position.x * TILE, o.position.y * TILE);
  return canvas;
}

/** A stable colour per user. */
export function avatarColor(userId: string): string {
  let h = 0;
  for (let i = 0; i < userId.length; i++) h = (h * 31 + userId.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360} 55% 52%)`;
}

export function initials(name: string): string {
  const words = name.trim().split(/\s+/).filter(Boolean);
  const letters = words.length > 1 ? [words[0]![0], words[words.length - 1]![0]] : [...(words[0] ?? "?").slice(0, 2)];
  return letters.join("").toUpperCase();
}

export interface AvatarLook {
  userId: string;
  name: string;
  /** Centre in CSS pixels (map space). */
  x: number;
  y: number;
  self: boolean;
  speaking: boolean;
  /** Output (or, for yourself, input) level 0..1. */
  level: number;
  muted: boolean;
}

export function drawAvatar(ctx: CanvasRenderingContext2D, a: AvatarLook, timeMs: number): void {
  const r = TILE * 0.42;
  if (a.speaking) {
    // A ring that breathes with time and swells with the level.
    const pulse = (Math.sin(timeMs / 140) + 1) / 2;
    ctx.strokeStyle = `rgba(59, 214, 113, ${0.55 + 0.4 * a.level})`;
    ctx.lineWidth = 2.5 + a.level * 2;
    ctx.beginPath();
    ctx.arc(a.x, a.y, r + 3 + pulse * 2 + a.level * 5, 0, Math.PI * 2);
    ctx.stroke();
  }
  ctx.fillStyle = "rgba(0,0,0,0.35)";
  ctx.beginPath();
  ctx.ellipse(a.x, a.y + r * 0.95, r * 0.8, r * 0.28, 0, 0, Math.PI * 2);
  ctx.fill();
  ctx.fillStyle = avatarColor(a.userId);
  ctx.beginPath();
  ctx.arc(a.x, a.y, r, 0, Math.PI * 2);
  ctx.fill();
  ctx.lineWidth = a.self ? 3 : 1.5;
  ctx.strokeStyle = a.self ? "#ffffff" : "rgba(255,255,255,0.35)";
  ctx.stroke();
  ctx.fillStyle = "#fff";
  ctx.font = "700 11px system-ui, sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "middle";
  ctx.fillText(initials(a.name), a.x, a.y + 0.5);
  if (a.muted) {
    ctx.fillStyle = "#ed4245";
    ctx.beginPath();
    ctx.arc(a.x + r * 0.75, a.y + r * 0.75, 5, 0, Math.PI * 2);
    ctx.fill();
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(a.x + r * 0.75 - 2.5, a.y + r * 0.75 - 2.5);
    ctx.lineTo(a.x + r * 0.75 + 2.5, a.y + r * 0.75 + 2.5);
    ctx.stroke();
  }
  const label = a.self ? `${a.name} (you)` : a.name;
  ctx.font = `${a.self ? 700 : 500} 11px system-ui, sans-serif`;
  const w = ctx.measureText(label).width + 10;
  roundRect(ctx, a.x - w / 2, a.y + r + 5, w, 16, 8);
  ctx.fillStyle = a.self ? "rgba(88,101,242,0.9)" : "rgba(10,12,18,0.75)";
  ctx.fill();
  ctx.fillStyle = "#f2f4f8";
  ctx.fillText(label, a.x, a.y + r + 13.5);
  ctx.textAlign = "start";
}
