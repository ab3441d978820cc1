// Reading the world file: which tiles block, which zone a point is in. Shared by the map and the
// mock backend so both agree on the rules.
import type { Rect, Role, WorldFile, ZoneType } from "../backend/types";

type Zone = WorldFile["zones"][number];

/** Where zones overlap, the most specific wins (SPEC section 6). */
const ZONE_RANK: Record<ZoneType, number> = { OpenArea: 0, TeamArea: 1, MeetingRoom: 2, PrivateRoom: 3 };

export function inRect(r: Rect, x: number, y: number): boolean {
  return x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height;
}

/** The layers that block movement: id "walls" or `collision: true`. */
export function collisionLayers(world: WorldFile): number[][] {
  return world.map.layers.filter((l) => l.collision || l.id === "walls").map((l) => l.tiles);
}

export function isWallTile(world: WorldFile, tx: number, ty: number): boolean {
  const { width, height } = world.map;
  if (tx < 0 || ty < 0 || tx >= width || ty >= height) return true;
  const i = ty * width + tx;
  return collisionLayers(world).some((tiles) => (tiles[i] ?? 0) !== 0);
}

/**
 * Whether an avatar centred at (x, y) may stand there: inside the map and not on a blocking tile,
 * except in a door whose access lets one of `roles` through.
 */
export function canStand(world: WorldFile, x: number, y: number, roles: readonly Role[]): boolean {
  const { width, height } = world.map;
  if (x < 0 || y < 0 || x >= width || y >= height) return false;
  const door = world.doors.find((d) => inRect(d.bounds, x, y));
  if (door) {
    const allowed = door.access?.allowedRoles;
    return !allowed || roles.some((r) => allowed.includes(r));
  }
  return !isWallTile(world, Math.floor(x), Math.floor(y));
}

/** The zone at a point, or null outside every zone. */
export function zoneAt(world: WorldFile, x: number, y: number): Zone | null {
  let best: Zone | null = null;
  for (const z of world.zones) {
    if (inRect(z.bounds, x, y) && (!best || ZONE_RANK[z.type] > ZONE_RANK[best.type])) best = z;
  }
  return best;
}

/** A zone's label for people: its name, or its id with dashes as spaces and a capital. */
export function zoneLabel(zone: { id: string; name?: string }): string {
  if (zone.name) return zone.name;
  const words = zone.id.replace(/[-_]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}
