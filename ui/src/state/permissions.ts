// Which moderation actions a user's roles allow. Mirrors the world server's role matrix
// (SPEC section 6): Admin and Editor may mute; only Admin may remove from a zone or kick.
import type { ModerationAction, Role } from "../backend/types";

export type ModerationKind = ModerationAction["action"];

const BY_ROLE: Record<Role, readonly ModerationKind[]> = {
  Admin: ["mute", "unmute", "remove", "kick"],
  Editor: ["mute", "unmute"],
  Member: [],
  Guest: [],
};

/** The union of what each role allows; empty when the user may not moderate at all. */
export function allowedModeration(roles: readonly Role[]): ReadonlySet<ModerationKind> {
  return new Set(roles.flatMap((r) => BY_ROLE[r] ?? []));
}
