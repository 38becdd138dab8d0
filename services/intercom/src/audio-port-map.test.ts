import { describe, expect, it } from 'vitest';
import { AudioPortMap, AudioPortRangeMismatch } from './audio-port-map.js';

describe('AudioPortMap', () => {
  it('listens on the leased ports themselves by default', () => {
    const m = new AudioPortMap([12021, 12050]);
    expect(m.size).toBe(30);
    expect(m.listen).toEqual([12021, 12050]);
    expect(m.leasedPortOf(12022)).toBe(12022);
    expect(m.listenPortOf(12050)).toBe(12050);
    expect(m.leasedPortOf(12051)).toBeUndefined();
    expect(m.listenPortOf(12020)).toBeUndefined();
  });

  it('matches a separate listen range position for position', () => {
    const m = new AudioPortMap([12021, 12023], [30001, 30003]);
    expect(m.pairs()).toEqual([{ leased: 12021, listen: 30001 }, { leased: 12022, listen: 30002 }, { leased: 12023, listen: 30003 }]);
    expect(m.leasedPortOf(30003)).toBe(12023);
    expect(m.listenPortOf(12021)).toBe(30001);
    expect(m.isLeasedPort(30001)).toBe(false);
    expect(m.isLeasedPort(12022)).toBe(true);
  });

  it('refuses ranges of different sizes, naming both keys', () => {
    expect(() => new AudioPortMap([12021, 12050], [30000, 30001])).toThrow(AudioPortRangeMismatch);
    expect(() => new AudioPortMap([12021, 12050], [30000, 30001])).toThrow(/cluster\.intercom\.listen_ports \[30000, 30001\] has 2 ports but jt1078\.intercom\.audio_ports \[12021, 12050\] has 30/);
  });
});
