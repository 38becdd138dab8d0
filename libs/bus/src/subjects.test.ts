import { describe, expect, it } from 'vitest';
import { InvalidSubjectToken, Subjects, checkChannel, checkSim } from './subjects.js';

describe('Subjects', () => {
  const s = new Subjects('jt1078');

  it('names every subject of DESIGN.md "NATS" under the root', () => {
    expect(s.media('live', '295696659617', 1)).toBe('jt1078.media.live.295696659617.1');
    expect(s.media('talk', '00000000000000000001', 255)).toBe('jt1078.media.talk.00000000000000000001.255');
    expect(s.event('audio', 'leave')).toBe('jt1078.events.audio.leave');
    expect(s.talkDown('295696659617', 2)).toBe('jt1078.talk.down.295696659617.2');
    expect(s.viewers('playback', '295696659617', 3)).toBe('jt1078.viewers.playback.295696659617.3');
    expect(s.deadLetter('realtime', 'join')).toBe('jt1078.deadletter.realtime.join');
    expect([s.allMedia, s.allEvents, s.allDeadLetters]).toEqual(['jt1078.media.>', 'jt1078.events.>', 'jt1078.deadletter.>']);
  });

  it('turns an omitted SIM, channel or kind into a single-token wildcard', () => {
    expect(s.mediaFilter('live')).toBe('jt1078.media.live.*.*');
    expect(s.mediaFilter('live', '295696659617')).toBe('jt1078.media.live.295696659617.*');
    expect(s.talkDownFilter(undefined, 1)).toBe('jt1078.talk.down.*.1');
    expect(s.viewersFilter()).toBe('jt1078.viewers.*.*.*');
  });

  it('takes a multi-token root for isolation and refuses one that is not a subject prefix', () => {
    expect(new Subjects('acme.prod-1').media('live', '1', 0)).toBe('acme.prod-1.media.live.1.0');
    for (const bad of ['', 'a..b', 'a.*', 'a b', 'a.>', '.a']) expect(() => new Subjects(bad)).toThrow(InvalidSubjectToken);
  });

  it('accepts SIMs of 1..20 digits (leading zeros kept) and channels 0..255 only', () => {
    expect(checkSim('013800138000')).toBe('013800138000');
    expect(checkSim('1'.repeat(20))).toBe('1'.repeat(20));
    expect(checkChannel(0)).toBe(0);
    expect(checkChannel(255)).toBe(255);
    for (const sim of ['', '1'.repeat(21), '12.3', '12*', '12>', ' 12', '１２', '0x12']) {
      expect(() => checkSim(sim)).toThrow(InvalidSubjectToken);
    }
    for (const ch of [-1, 256, 1.5, Number.NaN]) expect(() => checkChannel(ch)).toThrow(InvalidSubjectToken);
    try {
      s.media('live', '1.>', 1);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ name: 'InvalidSubjectToken', kind: 'invalid-subject-token', field: 'SIM', value: '1.>' });
    }
  });
});
