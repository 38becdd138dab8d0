/**
 * Join/leave events: the exact callback body plus what delivery needs (id, ordering key). On
 * NATS the envelope is the JSON payload of `<root>.events.<type>.<action>`, and its id is the
 * `Nats-Msg-Id` (JetStream drops a second publish of one id within the duplicate window).
 */
import { MalformedEnvelope } from './frame-envelope.js';
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

const TYPES: readonly string[] = ['realtime', 'playback', 'audio'] satisfies EventType[];
const ACTIONS: readonly string[] = ['join', 'leave'] satisfies EventAction[];

const utf8 = new TextEncoder();

export function encodeEvent(e: EventEnvelope): Uint8Array {
  return utf8.encode(JSON.stringify(e));
}

/** Parses and checks an event payload; throws MalformedEnvelope when it is not one. */
export function decodeEvent(data: Uint8Array | string): EventEnvelope {
  let v: unknown;
  try {
    v = JSON.parse(typeof data === 'string' ? data : new TextDecoder().decode(data));
  } catch (err) {
    throw new MalformedEnvelope(`event payload is not JSON: ${(err as Error).message}`);
  }
  const o = v as Partial<Record<keyof EventEnvelope, unknown>> | null;
  if (
    typeof o !== 'object' || o === null ||
    typeof o.id !== 'string' || o.id === '' ||
    typeof o.type !== 'string' || !TYPES.includes(o.type) ||
    typeof o.action !== 'string' || !ACTIONS.includes(o.action) ||
    typeof o.streamKey !== 'string' ||
    typeof o.body !== 'object' || o.body === null || Array.isArray(o.body) ||
    typeof o.occurredAt !== 'number'
  ) {
    throw new MalformedEnvelope('event payload lacks id, type, action, streamKey, body or occurredAt');
  }
  return o as EventEnvelope;
}
