import { describe, expect, it } from 'vitest';
import { InvalidLeaseBody, parseLeaseRequest } from './lease-request.js';

describe('parseLeaseRequest', () => {
  it('takes {sim, channel}, leading zeros kept', () => {
    expect(parseLeaseRequest({ sim: '013800138000', channel: 1 })).toEqual({ sim: '013800138000', channel: 1 });
    expect(parseLeaseRequest({ sim: '12345678901234567890', channel: 0, extra: true })).toEqual({ sim: '12345678901234567890', channel: 0 });
  });

  it.each([
    [null, '(body)'],
    [[1, 2], '(body)'],
    [{ channel: 1 }, 'sim'],
    [{ sim: 13800138000, channel: 1 }, 'sim'],
    [{ sim: '138-0013', channel: 1 }, 'sim'],
    [{ sim: '1'.repeat(21), channel: 1 }, 'sim'],
    [{ sim: '1' }, 'channel'],
    [{ sim: '1', channel: '1' }, 'channel'],
    [{ sim: '1', channel: 256 }, 'channel'],
    [{ sim: '1', channel: 1.5 }, 'channel'],
  ])('refuses %j naming %s', (body, field) => {
    let err: unknown;
    try {
      parseLeaseRequest(body);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidLeaseBody);
    expect((err as InvalidLeaseBody).field).toBe(field);
    expect((err as Error).message.startsWith(`${field}: `)).toBe(true);
  });
});
