import { describe, expect, it } from 'vitest';
import type { EventEnvelope } from '@jt1078/bus';
import { RecentEvents } from './recent-events.js';

const event = (id: string): EventEnvelope => ({ id, type: 'realtime', action: 'join', streamKey: `live/jt1078-1-${id}`, body: { id }, occurredAt: 1 });

describe('RecentEvents', () => {
  it('keeps the last N, each id once, and answers what came after an id', () => {
    const recent = new RecentEvents(3);
    expect(recent.add(event('a'))).toBe(true);
    expect(recent.add(event('b'))).toBe(true);
    expect(recent.add(event('a'))).toBe(false); // a re-sent event
    expect(recent.after().map((e) => e.id)).toEqual(['a', 'b']);
    for (const id of ['c', 'd', 'e']) recent.add(event(id));
    expect(recent.size).toBe(3);
    expect(recent.after().map((e) => e.id)).toEqual(['c', 'd', 'e']);
    expect(recent.after('d').map((e) => e.id)).toEqual(['e']);
    expect(recent.after('e')).toEqual([]);
    // An id that fell out (or never was): everything kept.
    expect(recent.after('a').map((e) => e.id)).toEqual(['c', 'd', 'e']);
  });

  it('refuses a capacity that is not a positive integer', () => {
    expect(() => new RecentEvents(0)).toThrow(RangeError);
    expect(() => new RecentEvents(1.5)).toThrow(RangeError);
  });
});
