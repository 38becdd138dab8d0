import { describe, expect, it } from 'vitest';
import { IntercomRequestInvalid, MAX_GROUP_MEMBERS, parseIntercomRequest } from './webrtc-intercom-request.js';

const sdp = 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 8\r\na=rtpmap:8 PCMA/8000\r\n';
const member = { sim: '013800138000', channel: 1, audioPort: 12022 };

function fieldOf(body: unknown): string {
  try {
    parseIntercomRequest(body);
  } catch (err) {
    expect(err).toBeInstanceOf(IntercomRequestInvalid);
    return (err as IntercomRequestInvalid).field;
  }
  throw new Error('accepted');
}

describe('parseIntercomRequest (the m7s-jt1078 body)', () => {
  it('takes m7s-jt1078 page bodies: no type, no enterAudioEncoding means G.711A, SIM zeros kept', () => {
    const r = parseIntercomRequest({ sdp, group: [member] });
    expect(r.codec).toMatchObject({ codec: 'g711a', rtpName: 'PCMA', payloadType: 8, encoding: 6 });
    expect(r.group).toEqual([member]);
    expect(parseIntercomRequest({ type: 'offer', sdp, group: [member], enterAudioEncoding: 0 }).codec.codec).toBe('g711a');
  });

  it('maps enterAudioEncoding 6/7/2 to PCMA/PCMU/G722 (table 12)', () => {
    expect(parseIntercomRequest({ sdp, group: [member], enterAudioEncoding: 7 }).codec).toMatchObject({ codec: 'g711u', rtpName: 'PCMU', payloadType: 0 });
    expect(parseIntercomRequest({ sdp, group: [member], enterAudioEncoding: 2 }).codec).toMatchObject({ codec: 'g722', rtpName: 'G722', payloadType: 9 });
  });

  it('keeps a broadcast group in order', () => {
    const group = [member, { sim: '013800138001', channel: 2, audioPort: 12023 }];
    expect(parseIntercomRequest({ sdp, group }).group).toEqual(group);
  });

  it('names the field of every problem', () => {
    expect(fieldOf(null)).toBe('body');
    expect(fieldOf([])).toBe('body');
    expect(fieldOf({ type: 'answer', sdp, group: [member] })).toBe('type');
    expect(fieldOf({ group: [member] })).toBe('sdp');
    expect(fieldOf({ sdp: '  ', group: [member] })).toBe('sdp');
    expect(fieldOf({ sdp: 'x'.repeat(70_000), group: [member] })).toBe('sdp');
    expect(fieldOf({ sdp })).toBe('group');
    expect(fieldOf({ sdp, group: [] })).toBe('group');
    expect(fieldOf({ sdp, group: Array.from({ length: MAX_GROUP_MEMBERS + 1 }, (_, i) => ({ ...member, channel: i % 256, sim: String(1000 + i) })) })).toBe('group');
    expect(fieldOf({ sdp, group: ['x'] })).toBe('group[0]');
    expect(fieldOf({ sdp, group: [{ ...member, sim: 13800138000 }] })).toBe('group[0].sim');
    expect(fieldOf({ sdp, group: [{ ...member, sim: '1380.0138000' }] })).toBe('group[0].sim');
    expect(fieldOf({ sdp, group: [{ ...member, sim: '>' }] })).toBe('group[0].sim');
    expect(fieldOf({ sdp, group: [member, { ...member, channel: 256 }] })).toBe('group[1].channel');
    expect(fieldOf({ sdp, group: [{ ...member, channel: '1' }] })).toBe('group[0].channel');
    expect(fieldOf({ sdp, group: [{ ...member, audioPort: 0 }] })).toBe('group[0].audioPort');
    expect(fieldOf({ sdp, group: [{ ...member, audioPort: 1.5 }] })).toBe('group[0].audioPort');
    expect(fieldOf({ sdp, group: [{ sim: '13800138000', channel: 1, audioPort: 12022 }, member] })).toBe('group[1]');
    expect(fieldOf({ sdp, group: [member], enterAudioEncoding: 8 })).toBe('enterAudioEncoding');
    expect(fieldOf({ sdp, group: [member], enterAudioEncoding: '6' })).toBe('enterAudioEncoding');
  });

  it('says what was wrong in the message', () => {
    expect(() => parseIntercomRequest({ sdp, group: [member], enterAudioEncoding: 8 })).toThrow(/enterAudioEncoding: 8 is not supported \(2 G722, 6 PCMA, 7 PCMU; default 6\)/);
    expect(() => parseIntercomRequest({ sdp, group: [{ ...member, channel: 300 }] })).toThrow(/group\[0\]\.channel: 300 is not a logical channel/);
  });
});
