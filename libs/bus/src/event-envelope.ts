/** Join/leave events: the exact callback body plus what delivery needs (id, ordering key). */
import type { EventAction, EventType } from './subjects.js';

export interface EventEnvelope {
  /** Stable: the JetStream msg id (de-duplication) and the webhook-id. */
  readonly id: string;
  readonly type: EventType;
  readonly action: EventAction;
  /** Events with one key are delivered in order (stream path, or audio port). */
  readonly streamKey: string;
  /** The m7s-jt1078 callback body, exactly. */
  readonly body: Readonly<Record<string, unknown>>;
  /** ms since the epoch when it happened. */
  readonly occurredAt: number;
}
