/**
 * The body of `POST /api/v1/intercom/leases`: `{sim, channel}`. A SIM is a string of digits
 * (its leading zeros matter: BCD, JT/T 1078-2016 table 19), a channel a logical channel number
 * (BYTE). Anything else is refused naming the field, before a port is spent on it.
 */
import type { PortLeaseTarget } from '@jt1078/store';
import { echoValue } from '@jt1078/runtime/http';

export class InvalidLeaseBody extends Error {
  override readonly name = 'InvalidLeaseBody';
  readonly kind = 'invalid-lease-body';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export function parseLeaseRequest(body: unknown): PortLeaseTarget {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidLeaseBody('(body)', 'expected a JSON object {"sim": "...", "channel": N}');
  const { sim, channel } = body as Record<string, unknown>;
  if (sim === undefined) throw new InvalidLeaseBody('sim', 'required (the device SIM, a string of digits)');
  if (typeof sim !== 'string' || !/^\d{1,20}$/.test(sim)) throw new InvalidLeaseBody('sim', `must be a string of 1 to 20 digits (leading zeros kept), got ${echoValue(JSON.stringify(sim))}`);
  if (channel === undefined) throw new InvalidLeaseBody('channel', 'required (the logical channel number)');
  if (typeof channel !== 'number' || !Number.isInteger(channel) || channel < 0 || channel > 255) throw new InvalidLeaseBody('channel', `must be an integer 0..255, got ${echoValue(JSON.stringify(channel))}`);
  return { sim, channel };
}
