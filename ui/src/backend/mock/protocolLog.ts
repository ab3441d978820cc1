// The mock's record of what it "sends" and "receives", in the shape the inspector shows.
import type { ProtocolMessage } from "../types";

/** The inspector's backlog limit (types.ts: at most 2,000). */
export const PROTOCOL_BACKLOG = 2000;

export class ProtocolLog {
  private seq = 0;
  readonly messages: ProtocolMessage[] = [];

  /** Records one message and returns it; the oldest fall off past the backlog limit. */
  record(
    timeMs: number,
    channel: ProtocolMessage["channel"],
    direction: ProtocolMessage["direction"],
    kind: string,
    payload: unknown,
  ): ProtocolMessage {
    const message: ProtocolMessage = { seq: ++this.seq, timeMs, channel, direction, kind, payload };
    this.messages.push(message);
    if (this.messages.length > PROTOCOL_BACKLOG) this.messages.splice(0, this.messages.length - PROTOCOL_BACKLOG);
    return message;
  }

  clear(): void {
    this.messages.length = 0;
  }
}
