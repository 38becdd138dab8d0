/**
 * Subject names (DESIGN.md "NATS"). The root token (`jt1078`) is configurable so deployments
 * and tests can share one NATS server without seeing each other's traffic:
 *
 * | subject                                        | carries                                      |
 * | ---------------------------------------------- | -------------------------------------------- |
 * | `<root>.media.<live|playback|talk>.<sim>.<ch>` | one frame per message (FrameEnvelope)        |
 * | `<root>.replay.<kind>.<sim>.<ch>`              | request–reply: the owner replays its window  |
 * | `<root>.events.<realtime|playback|audio>.<join|leave>` | join/leave events, JetStream, durable |
 * | `<root>.talk.down.<sim>.<ch>`                  | browser audio on its way to a device         |
 * | `<root>.viewers.<live|playback|talk>.<sim>.<ch>` | the packager saying a stream is watched    |
 * | `<root>.deadletter.<type>.<action>`            | events the webhook gave up on                |
 *
 * SIM and channel come from devices. They are checked before they enter a subject, so a device
 * cannot inject `.`, `*`, `>` or whitespace into the subject space and read or spoof other
 * streams: a SIM is 1..20 decimal digits (BCD[6] in JT/T 1078-2016 table 19 gives 12 digits,
 * the 2019 revision's BCD[10] gives 20), a logical channel is one byte (0..255).
 */

export class InvalidSubjectToken extends Error {
  override readonly name = 'InvalidSubjectToken';
  readonly kind = 'invalid-subject-token';
  constructor(
    readonly field: 'SIM' | 'channel' | 'subject root',
    readonly value: string,
  ) {
    // The value is echoed to whoever sent it (HTTP 400 bodies): 64 characters at most.
    super(`${field} '${value.length > 64 ? `${value.slice(0, 64)}…` : value}' is not allowed in a subject (${field === 'subject root' ? 'letters, digits, _ and - in dot-separated tokens' : 'digits only'})`);
  }
}

export type StreamKind = 'live' | 'playback' | 'talk';
export type EventType = 'realtime' | 'playback' | 'audio';
export type EventAction = 'join' | 'leave';

export const STREAM_KINDS: readonly StreamKind[] = ['live', 'playback', 'talk'];

/** 20 digits: the 2019 revision's BCD[10] SIM (table 19); 2016 devices send 12. */
const SIM_PATTERN = /^\d{1,20}$/;
/** Logical channel number is a BYTE (JT/T 1078-2016 table 19). */
const MAX_CHANNEL = 255;
const ROOT_PATTERN = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export function checkSim(sim: string): string {
  if (typeof sim !== 'string' || !SIM_PATTERN.test(sim)) throw new InvalidSubjectToken('SIM', String(sim));
  return sim;
}

export function checkChannel(channel: number): number {
  if (!Number.isInteger(channel) || channel < 0 || channel > MAX_CHANNEL) throw new InvalidSubjectToken('channel', String(channel));
  return channel;
}

export class Subjects {
  constructor(readonly root = 'jt1078') {
    if (!ROOT_PATTERN.test(root)) throw new InvalidSubjectToken('subject root', root);
  }

  /** `<root>.media.<kind>.<sim>.<channel>`: one message per frame. */
  media(kind: StreamKind, sim: string, channel: number): string {
    return `${this.root}.media.${kind}.${checkSim(sim)}.${checkChannel(channel)}`;
  }

  /** A media subscription: an omitted SIM or channel becomes `*`. */
  mediaFilter(kind: StreamKind, sim?: string, channel?: number): string {
    return `${this.root}.media.${kind}.${wild(sim, channel)}`;
  }

  /** Every media subject (no JetStream stream may capture it: media is core NATS only). */
  get allMedia(): string {
    return `${this.root}.media.>`;
  }

  /** `<root>.events.<type>.<action>`: join/leave events, durable. */
  event(type: EventType, action: EventAction): string {
    return `${this.root}.events.${type}.${action}`;
  }

  get allEvents(): string {
    return `${this.root}.events.>`;
  }

  /** Events that exhausted their retries (webhook dead letters), outside the events stream. */
  deadLetter(type: EventType, action: EventAction): string {
    return `${this.root}.deadletter.${type}.${action}`;
  }

  get allDeadLetters(): string {
    return `${this.root}.deadletter.>`;
  }

  /** `<root>.talk.down.<sim>.<channel>`: browser audio on its way to a device. */
  talkDown(sim: string, channel: number): string {
    return `${this.root}.talk.down.${checkSim(sim)}.${checkChannel(channel)}`;
  }

  talkDownFilter(sim?: string, channel?: number): string {
    return `${this.root}.talk.down.${wild(sim, channel)}`;
  }

  /**
   * `<root>.viewers.<kind>.<sim>.<channel>`: a packager serving the stream says so every few
   * seconds; the ingest closes a stream nobody watches (m7s-jt1078's `overtime_second`).
   */
  viewers(kind: StreamKind, sim: string, channel: number): string {
    return `${this.root}.viewers.${kind}.${checkSim(sim)}.${checkChannel(channel)}`;
  }

  viewersFilter(kind?: StreamKind, sim?: string, channel?: number): string {
    return `${this.root}.viewers.${kind ?? '*'}.${wild(sim, channel)}`;
  }
}

function wild(sim: string | undefined, channel: number | undefined): string {
  return `${sim === undefined ? '*' : checkSim(sim)}.${channel === undefined ? '*' : checkChannel(channel)}`;
}
