import { describe, expect, it } from 'vitest';
import { ReplayWindows } from './replay-window.js';

/** Item n: `bytes` bytes, a mark every `every` items from `first`. */
const item = (n: number, bytes = 10, every = 5, first = 0) => ({ value: n, bytes, mark: n >= first && (n - first) % every === 0 });

describe('ReplayWindows', () => {
  it('starts at a segment mark and drops whole segments once the rest covers keepMs', () => {
    let now = 0;
    const w = new ReplayWindows<number>({ keepMs: 1000, maxStreamBytes: 1e9, maxPodBytes: 1e9, now: () => now });
    for (let n = 0; n < 3; n++) w.record('s', item(n, 10, 5, 2));
    expect(w.read('s')).toEqual([2]); // 0 and 1 came before the first mark
    for (let n = 3; n < 40; n++) {
      now = n * 100;
      w.record('s', item(n, 10, 5, 2));
    }
    // Newest at 3900 ms; segments start at 2, 7, …, 37. The window keeps the latest mark at or before 2900 ms.
    expect(w.read('s')[0]).toBe(27);
    expect(w.read('s').at(-1)).toBe(39);
    expect(w.bytes).toBe(13 * 10);
  });

  it('drops the frames before the first mark as soon as one comes', () => {
    const w = new ReplayWindows<number>({ keepMs: 1e9, maxStreamBytes: 1e9, maxPodBytes: 1e9 });
    for (let n = 0; n < 4; n++) w.record('s', item(n, 10, 100, 3));
    expect(w.read('s')).toEqual([3]);
    expect(w.bytes).toBe(10);
  });

  it('bounds each stream in bytes, at segment granularity, and keeps the newest segment whatever its size', () => {
    const w = new ReplayWindows<number>({ keepMs: 1e9, maxStreamBytes: 100, maxPodBytes: 1e9 });
    for (let n = 0; n < 30; n++) w.record('s', item(n)); // 5 items of 10 bytes per segment
    expect(w.read('s')).toEqual([20, 21, 22, 23, 24, 25, 26, 27, 28, 29]);
    expect(w.trimmedForStream).toBeGreaterThan(0);
    const big = new ReplayWindows<number>({ keepMs: 1e9, maxStreamBytes: 10, maxPodBytes: 1e9 });
    for (let n = 0; n < 4; n++) big.record('s', item(n, 10, 100));
    expect(big.read('s')).toEqual([0, 1, 2, 3]); // one segment: nothing to start from but its mark
  });

  it('bounds the pod: the stream written gives up its oldest segment, else another stream does', () => {
    const w = new ReplayWindows<number>({ keepMs: 1e9, maxStreamBytes: 1e9, maxPodBytes: 200 });
    for (let n = 0; n < 10; n++) w.record('a', item(n)); // 100 bytes, 2 segments
    for (let n = 0; n < 10; n++) w.record('b', item(n, 10, 100)); // 100 bytes, 1 segment
    expect(w.bytes).toBe(200);
    w.record('b', item(10, 10, 100));
    expect(w.bytes).toBeLessThanOrEqual(200);
    expect(w.read('a')).toEqual([5, 6, 7, 8, 9]);
    expect(w.read('b')).toHaveLength(11);
    expect(w.trimmedForPod).toBe(1);
  });

  it('trims unmarked streams frame by frame, forgets silent streams and says so', () => {
    let now = 0;
    const closed: string[] = [];
    const opened: string[] = [];
    const w = new ReplayWindows<number>({ keepMs: 1000, maxStreamBytes: 30, maxPodBytes: 1e9, now: () => now, onOpen: (k) => opened.push(k), onClose: (k) => closed.push(k) });
    for (let n = 0; n < 5; n++) w.record('talk', { value: n, bytes: 10, mark: false });
    expect(w.read('talk')).toEqual([2, 3, 4]);
    now = 1500;
    w.sweep();
    expect(w.read('talk')).toEqual([]);
    expect(w.bytes).toBe(0);
    expect(opened).toEqual(['talk']);
    expect(closed).toEqual(['talk']);
  });
});
