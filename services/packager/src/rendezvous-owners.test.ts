import { describe, expect, it } from 'vitest';
import { advertisedUrl } from './advertised-url.js';
import { rendezvousOwners } from './rendezvous-owners.js';

const members = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `packager-${i}`, url: `http://10.0.0.${i}:8080` }));
const streams = Array.from({ length: 1000 }, (_, i) => `live/jt1078-0139${String(i).padStart(8, '0')}-1`);

describe('rendezvousOwners', () => {
  it('gives every replica the same k owners whatever the order of its member list, spread evenly', () => {
    const m = members(4);
    const load = new Map<string, number>();
    for (const s of streams) {
      const owners = rendezvousOwners(s, m, 2);
      expect(owners).toHaveLength(2);
      expect(new Set(owners.map((o) => o.name)).size).toBe(2);
      expect(rendezvousOwners(s, [...m].reverse(), 2)).toEqual(owners);
      for (const o of owners) load.set(o.name, (load.get(o.name) ?? 0) + 1);
    }
    // 2000 ownerships over 4 replicas: 500 each expected.
    for (const n of load.values()) expect(n).toBeGreaterThan(400);
    for (const n of load.values()) expect(n).toBeLessThan(600);
  });

  it('moves only the streams of a member that leaves, and all of them when k is at least the member count', () => {
    const m = members(4);
    let moved = 0;
    for (const s of streams) {
      const before = rendezvousOwners(s, m, 2).map((o) => o.name);
      const after = rendezvousOwners(s, m.filter((x) => x.name !== 'packager-3'), 2).map((o) => o.name);
      if (!before.includes('packager-3')) expect(after).toEqual(before);
      else {
        moved++;
        expect(after).toContain(before.find((n) => n !== 'packager-3'));
      }
    }
    expect(moved).toBeGreaterThan(400);
    expect(rendezvousOwners(streams[0]!, members(2), 4)).toHaveLength(2);
  });
});

describe('advertisedUrl', () => {
  it('prefers POD_IP, then a specific listen host, then the host name', () => {
    expect(advertisedUrl('0.0.0.0:8080', { POD_IP: '10.1.2.3' })).toBe('http://10.1.2.3:8080');
    expect(advertisedUrl('127.0.0.1:9000', {})).toBe('http://127.0.0.1:9000');
    expect(advertisedUrl('[::]:8080', { POD_IP: 'fd00::5' })).toBe('http://[fd00::5]:8080');
    expect(advertisedUrl('0.0.0.0:8080', {})).toMatch(/^http:\/\/[^/]+:8080$/);
  });
});
