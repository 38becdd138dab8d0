import { describe, expect, it } from 'vitest';
import { AdvertisedAddressInvalid, advertiseAddress } from './advertise-address.js';

/** An answer werift 0.24.4 made here to Chromium (loopback added to the host addresses). */
const WERIFT_ANSWER = [
  'v=0',
  'o=- 30475949 0 IN IP4 0.0.0.0',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic:WMS *',
  'm=audio 9 UDP/TLS/RTP/SAVPF 8',
  'c=IN IP4 0.0.0.0',
  'a=candidate:626da4e5384a0ce2d0d93678a 1 udp 2116026367 127.0.0.1 12020 typ host generation 0 ufrag 7b0b',
  'a=candidate:32b1715da3b0ef8ba684454eb 1 udp 2116026367 192.0.2.2 12021 typ host generation 0 ufrag 7b0b',
  'a=candidate:9c29a2bc887618212a1623bfa 1 udp 2116026367 fd00::2 12022 typ host generation 0 ufrag 7b0b',
  'a=end-of-candidates',
  'a=ice-ufrag:7b0b',
  'a=ice-pwd:6b527d4a9d2e82a4779231',
  'a=ice-options:trickle',
  'a=setup:active',
  'a=sendrecv',
  'a=mid:0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=rtcp-mux',
  'a=rtpmap:8 PCMA/8000',
  '',
].join('\r\n');

const lines = (sdp: string, prefix: string) => sdp.split('\r\n').filter((l) => l.startsWith(prefix));

describe('advertiseAddress', () => {
  it('leaves the answer alone without a configured IP', () => {
    expect(advertiseAddress(WERIFT_ANSWER, '')).toBe(WERIFT_ANSWER);
  });

  it('rewrites every host candidate of the IP\'s family to it, with the m-line port and c= following', () => {
    const sdp = advertiseAddress(WERIFT_ANSWER, '124.221.30.46');
    expect(lines(sdp, 'a=candidate:')).toEqual([
      'a=candidate:626da4e5384a0ce2d0d93678a 1 udp 2116026367 124.221.30.46 12020 typ host generation 0 ufrag 7b0b',
      'a=candidate:32b1715da3b0ef8ba684454eb 1 udp 2116026367 124.221.30.46 12021 typ host generation 0 ufrag 7b0b',
    ]);
    expect(lines(sdp, 'm=')).toEqual(['m=audio 12020 UDP/TLS/RTP/SAVPF 8']);
    expect(lines(sdp, 'c=')).toEqual(['c=IN IP4 124.221.30.46']);
    const untouched = (s: string) => s.split('\r\n').filter((l) => !/^(a=candidate|m=|c=)/.test(l));
    expect(untouched(sdp)).toEqual(untouched(WERIFT_ANSWER));
  });

  it('keeps two candidates that became the same once, and takes IPv6', () => {
    const twice = WERIFT_ANSWER.replace('192.0.2.2 12021', '192.0.2.2 12020');
    expect(lines(advertiseAddress(twice, '203.0.113.9'), 'a=candidate:')).toHaveLength(1);
    const v6 = advertiseAddress(WERIFT_ANSWER, '2001:db8::7');
    expect(lines(v6, 'a=candidate:')).toEqual(['a=candidate:9c29a2bc887618212a1623bfa 1 udp 2116026367 2001:db8::7 12022 typ host generation 0 ufrag 7b0b']);
    expect(lines(v6, 'c=')).toEqual(['c=IN IP6 2001:db8::7']);
  });

  it('refuses what is not an IP address', () => {
    expect(() => advertiseAddress(WERIFT_ANSWER, 'intercom.example.com')).toThrow(AdvertisedAddressInvalid);
  });
});
