import { describe, expect, it } from 'vitest';
import { IntercomRequestInvalid } from './webrtc-intercom-request.js';
import { preferTalkCodec } from './webrtc-offer-sdp.js';
import { TALK_CODECS, type TalkCodec } from './webrtc-talk-codec.js';

/** An offer Debian's Chromium 156 made here (getUserMedia with the fake microphone, ICE gathering complete). */
const CHROMIUM_OFFER = [
  'v=0',
  'o=- 5991190588439359842 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS b88d6bd9-6d10-4f61-9dde-646eae0ff44b',
  'm=audio 60145 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126',
  'c=IN IP4 192.0.2.2',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=candidate:3864990713 1 udp 2122194687 192.0.2.2 60145 typ host generation 0 network-id 1',
  'a=candidate:3777855305 1 udp 2122265343 fd00::2 55163 typ host generation 0 network-id 2',
  'a=candidate:2559635809 1 tcp 1518214911 192.0.2.2 9 typ host tcptype active generation 0 network-id 1',
  'a=candidate:2682428881 1 tcp 1518285567 fd00::2 9 typ host tcptype active generation 0 network-id 2',
  'a=ice-ufrag:3KCw',
  'a=ice-pwd:AsbHXiOAoIPfyOurmi/pmxgF',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 40:21:B4:30:D6:60:6A:F7:98:1C:F8:A6:85:7F:A8:70:67:6E:7B:88:4F:DB:7D:4C:43:C7:C0:ED:8F:86:D9:91',
  'a=setup:actpass',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
  'a=sendrecv',
  'a=msid:b88d6bd9-6d10-4f61-9dde-646eae0ff44b 99f59cc5-b5e9-4b87-b9b6-39153d495423',
  'a=rtcp-mux',
  'a=rtcp-rsize',
  'a=rtcp-xr:rcvr-rtt=all',
  'a=rtpmap:111 opus/48000/2',
  'a=rtcp-fb:111 transport-cc',
  'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2',
  'a=fmtp:63 111/111',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:13 CN/8000',
  'a=rtpmap:110 telephone-event/48000',
  'a=rtpmap:126 telephone-event/8000',
  'a=ssrc:3511528333 cname:9ULvHvDm/M0DTNFr',
  'a=ssrc:3511528333 msid:b88d6bd9-6d10-4f61-9dde-646eae0ff44b 99f59cc5-b5e9-4b87-b9b6-39153d495423',
].join('\r\n') + '\r\n';

const mLine = (sdp: string) => sdp.split('\r\n').find((l) => l.startsWith('m=audio'));

function reason(sdp: string, codec: TalkCodec = TALK_CODECS[6]): string {
  try {
    preferTalkCodec(sdp, codec);
  } catch (err) {
    expect(err).toBeInstanceOf(IntercomRequestInvalid);
    expect((err as IntercomRequestInvalid).field).toBe('sdp');
    return (err as IntercomRequestInvalid).reason;
  }
  throw new Error('accepted');
}

describe('preferTalkCodec', () => {
  it('puts the talk codec first in Chromium\'s audio m-line and changes nothing else', () => {
    expect(mLine(CHROMIUM_OFFER)).toBe('m=audio 60145 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126');
    const pcma = preferTalkCodec(CHROMIUM_OFFER, TALK_CODECS[6]);
    expect(mLine(pcma)).toBe('m=audio 60145 UDP/TLS/RTP/SAVPF 8 111 63 9 0 13 110 126');
    expect(mLine(preferTalkCodec(CHROMIUM_OFFER, TALK_CODECS[7]))).toBe('m=audio 60145 UDP/TLS/RTP/SAVPF 0 111 63 9 8 13 110 126');
    expect(mLine(preferTalkCodec(CHROMIUM_OFFER, TALK_CODECS[2]))).toBe('m=audio 60145 UDP/TLS/RTP/SAVPF 9 111 63 0 8 13 110 126');
    const others = (sdp: string) => sdp.split('\r\n').filter((l) => !l.startsWith('m='));
    expect(others(pcma)).toEqual(others(CHROMIUM_OFFER));
  });

  it('finds the codec by name and clock whatever its payload type, and keeps LF-only offers LF-only', () => {
    const dynamic = CHROMIUM_OFFER.replace('a=rtpmap:8 PCMA/8000', 'a=rtpmap:8 PCMA/16000\r\na=rtpmap:96 pcma/8000').replace(' 110 126', ' 110 126 96');
    expect(mLine(preferTalkCodec(dynamic, TALK_CODECS[6]))).toBe('m=audio 60145 UDP/TLS/RTP/SAVPF 96 111 63 9 0 8 13 110 126');
    const lf = preferTalkCodec(CHROMIUM_OFFER.replaceAll('\r\n', '\n'), TALK_CODECS[6]);
    expect(lf.includes('\r')).toBe(false);
    expect(lf).toContain('m=audio 60145 UDP/TLS/RTP/SAVPF 8 111');
  });

  it('refuses offers the intercom cannot talk on, saying why', () => {
    expect(reason('hello')).toMatch(/must start with v=0/);
    expect(reason(CHROMIUM_OFFER.replace(/m=audio[^]*$/, ''))).toMatch(/one audio m-section, the offer has 0/);
    const audio = CHROMIUM_OFFER.slice(CHROMIUM_OFFER.indexOf('m=audio'));
    expect(reason(CHROMIUM_OFFER + audio)).toMatch(/the offer has 2/);
    expect(reason(CHROMIUM_OFFER + 'm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n')).toMatch(/video m-section/);
    expect(reason(CHROMIUM_OFFER.replace('m=audio 60145', 'm=audio 0'))).toMatch(/port 0/);
    expect(reason(CHROMIUM_OFFER.replace('a=sendrecv', 'a=recvonly'))).toMatch(/does not send/);
    expect(reason(CHROMIUM_OFFER.replace('a=rtpmap:0 PCMU/8000\r\n', '').replace(' 0 8 ', ' 8 '), TALK_CODECS[7])).toMatch(/no PCMU\/8000 audio \(enterAudioEncoding 7\)/);
    // Named by rtpmap but not in the m-line's formats: not offered.
    expect(reason(CHROMIUM_OFFER.replace(' 9 0 8 ', ' 9 0 '))).toMatch(/no PCMA\/8000/);
  });
});
