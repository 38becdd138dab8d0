import { describe, expect, it } from 'vitest';
import { VIEWER_WINDOW_MS, ViewerCount } from './viewer-count.js';

describe('ViewerCount', () => {
  it('counts distinct clients per stream within the window', () => {
    let now = 0;
    const viewers = new ViewerCount(() => now);
    viewers.saw('live/a', 'page-1');
    viewers.saw('live/a', 'page-1');
    viewers.saw('live/a', 'page-2');
    viewers.saw('live/b', 'page-1');
    expect([viewers.of('live/a'), viewers.of('live/b'), viewers.of('live/c')]).toEqual([2, 1, 0]);
    now += VIEWER_WINDOW_MS - 1;
    viewers.saw('live/a', 'page-2');
    now += 2;
    // page-1 stopped asking: gone; page-2 asked again: still there.
    expect([viewers.of('live/a'), viewers.of('live/b')]).toEqual([1, 0]);
  });
});
