/**
 * Subject names (DESIGN.md "NATS"). The root token (`jt1078`) is configurable so deployments
 * and tests can share one NATS. SIM and channel are checked before they enter a subject: a
 * device cannot inject `.`, `*` or `>` into the subject space.
 */

export class InvalidSubjectToken extends Error {
  override readonly name = 'InvalidSubjectToken';
  readonly kind = 'invalid-subject-token';
  constructor(readonly field: string, readonly value: string) {
    super(`${field} '${value}' is not allowed in a subject (digits only)`);
  }
}

export type StreamKind = 'live' | 'playback' | 'talk';
export type EventType = 'realtime' | 'playback' | 'audio';
export type EventAction = 'join' | 'leave';

const SIM = /^\d{1,20}$/;

export function checkSim(sim: string): string {
  if (!SIM.test(sim)) throw new InvalidSubjectToken('SIM', sim);
  return sim;
}

export function checkChannel(channel: number): number {
  if (!Number.isInteger(channel) || channel < 0 || channel > 255) throw new InvalidSubjectToken('channel', String(channel));
  return channel;
}

export class Subjects {
  constructor(readonly root = 'jt1078') {
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(root)) throw new InvalidSubjectToken('subject root', root);
  }

  /** `<root>.media.<kind>.<sim>.<channel>`: one message per frame. */
  media(kind: StreamKind, sim: string, channel: number): string {
    return `${this.root}.media.${kind}.${checkSim(sim)}.${checkChannel(channel)}`;
  }

  /** Every media subject (the JetStream window stream's filter). */
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

  /** `<root>.talk.down.<sim>.<channel>`: browser audio on its way to a device. */
  talkDown(sim: string, channel: number): string {
    return `${this.root}.talk.down.${checkSim(sim)}.${checkChannel(channel)}`;
  }

  /** `<root>.viewers.<kind>.<sim>.<channel>`: the packager says a stream has viewers (overtime_second). */
  viewers(kind: StreamKind, sim: string, channel: number): string {
    return `${this.root}.viewers.${kind}.${checkSim(sim)}.${checkChannel(channel)}`;
  }
}
