import { describe, expect, it } from 'vitest';
import { UrlSignatureRejected, signPlaylistUris, signStreamUrl, verifyStreamUrl } from './stream-url-signer.js';

const SECRET = 'k8s-secret';
const PATH = 'live/jt1078-295696659617-1';
const NOW = 1_764_582_000_000;

function rejection(f: () => unknown): string | undefined {
  try {
    f();
  } catch (err) {
    if (err instanceof UrlSignatureRejected) return err.reason;
    throw err;
  }
  return undefined;
}

describe('signed stream URLs', () => {
  it('accepts what it signed until it expires, and nothing else', () => {
    const query = signStreamUrl(SECRET, PATH, NOW / 1000 + 60);
    expect(query).toMatch(/^expires=\d+&token=[0-9a-f]{64}$/);
    expect(verifyStreamUrl(SECRET, PATH, new URLSearchParams(query), NOW)).toBe(query);
    expect(rejection(() => verifyStreamUrl(SECRET, PATH, new URLSearchParams(query), NOW + 61_000))).toBe('expired');
    expect(rejection(() => verifyStreamUrl(SECRET, 'live/jt1078-295696659617-2', new URLSearchParams(query), NOW))).toBe('bad-token');
    expect(rejection(() => verifyStreamUrl('other', PATH, new URLSearchParams(query), NOW))).toBe('bad-token');
    // A later expiry with the old token: the expiry is signed too.
    const forged = query.replace(/expires=\d+/, `expires=${NOW / 1000 + 99_999}`);
    expect(rejection(() => verifyStreamUrl(SECRET, PATH, new URLSearchParams(forged), NOW))).toBe('bad-token');
    expect(rejection(() => verifyStreamUrl(SECRET, PATH, new URLSearchParams(''), NOW))).toBe('missing');
    expect(rejection(() => verifyStreamUrl(SECRET, PATH, new URLSearchParams('expires=soon&token=00'), NOW))).toBe('malformed');
  });

  it('repeats the query on every URI of a playlist, tags and lines alike', () => {
    const playlist = ['#EXTM3U', '#EXT-X-MAP:URI="init-ab.mp4"', '#EXT-X-PART:DURATION=0.5,URI="part-7.0.m4s",INDEPENDENT=YES', '#EXTINF:2.0,', 'seg-7.m4s', '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-8.0.m4s"', ''].join('\n');
    expect(signPlaylistUris(playlist, 'expires=1&token=ff')).toBe(['#EXTM3U', '#EXT-X-MAP:URI="init-ab.mp4?expires=1&token=ff"', '#EXT-X-PART:DURATION=0.5,URI="part-7.0.m4s?expires=1&token=ff",INDEPENDENT=YES', '#EXTINF:2.0,', 'seg-7.m4s?expires=1&token=ff', '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-8.0.m4s?expires=1&token=ff"', ''].join('\n'));
  });
});
