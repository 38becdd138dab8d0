/**
 * No talk session can be opened on this process now: it holds its `max_sessions`, its UDP port
 * range is used up, or it is shutting down. A 503 with Retry-After: another intercom pod (or
 * this one a little later) can take the offer.
 */
export const BusyReason = {
  full: 'full',
  noUdpPort: 'no-udp-port',
  closing: 'closing',
} as const;
export type BusyReason = (typeof BusyReason)[keyof typeof BusyReason];

export class IntercomBusy extends Error {
  override readonly name = 'IntercomBusy';
  readonly kind = 'intercom-busy';
  constructor(
    readonly reason: BusyReason,
    message: string,
  ) {
    super(message);
  }
}
