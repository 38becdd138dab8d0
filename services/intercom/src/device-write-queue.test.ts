import { describe, expect, it } from 'vitest';
import { DeviceWriteQueue } from './device-write-queue.js';

/** A sink with room for `room` packets until drained, like a socket past its highWaterMark. */
function sink(room: number) {
  const got: number[] = [];
  let left = room;
  return {
    got,
    refill: (n: number) => (left = n),
    write: (p: Uint8Array) => {
      got.push(p[0]!);
      left--;
      return left > 0;
    },
  };
}

const packet = (i: number, n = 10) => new Uint8Array(n).fill(i);

describe('DeviceWriteQueue', () => {
  it('writes straight through while the sink takes data', () => {
    const s = sink(100);
    const q = new DeviceWriteQueue(s);
    for (let i = 0; i < 10; i++) expect(q.push(packet(i))).toBe(0);
    expect(s.got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(q.queuedPackets).toBe(0);
    expect(q.written).toBe(10);
  });

  it('queues once the sink pushes back, drops the oldest beyond the bound, and flushes on drain in order', () => {
    const s = sink(2);
    const q = new DeviceWriteQueue(s, { maxPackets: 3 });
    const dropped = [0, 1, 2, 3, 4, 5, 6].map((i) => q.push(packet(i)));
    expect(s.got).toEqual([0, 1]); // the second write filled the sink
    expect(dropped).toEqual([0, 0, 0, 0, 0, 1, 1]);
    expect(q.queuedPackets).toBe(3);
    expect(q.dropped).toBe(2);
    s.refill(100);
    expect(q.drained()).toBe(3);
    expect(s.got).toEqual([0, 1, 4, 5, 6]);
    expect(q.queuedBytes).toBe(0);
    expect(q.push(packet(7))).toBe(0);
    expect(s.got.at(-1)).toBe(7);
  });

  it('bounds bytes too, keeping at least the newest packet', () => {
    const s = sink(1);
    const q = new DeviceWriteQueue(s, { maxPackets: 100, maxBytes: 25 });
    q.push(packet(0)); // written; the sink is full now
    expect([1, 2, 3].map((i) => q.push(packet(i)))).toEqual([0, 0, 1]);
    expect(q.queuedBytes).toBe(20);
    expect(q.push(packet(4, 100))).toBe(2);
    expect(q.queuedPackets).toBe(1);
    expect(q.clear()).toBe(1);
    expect(q.droppedBytes).toBe(30);
  });

  it('stops flushing when the sink pushes back again mid-drain', () => {
    const s = sink(1);
    const q = new DeviceWriteQueue(s, { maxPackets: 10 });
    for (let i = 0; i < 6; i++) q.push(packet(i));
    s.refill(2);
    expect(q.drained()).toBe(2);
    expect(q.queuedPackets).toBe(3);
    s.refill(100);
    q.drained();
    expect(s.got).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
