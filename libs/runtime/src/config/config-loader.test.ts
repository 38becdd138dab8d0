import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from './config-loader.js';

// The m7s-jt1078 intercom example, keys as that project writes them.
const M7S_EXAMPLE = `
global:
  http:
    listenaddr: :12079
  tcp:
    listenaddr: :12081
jt1078:
  enable: true
  intercom:
    enable: true
    jt1078webrtc:
      port: 12020
      ip: 124.221.30.46
    audioports: [12021, 12050]
    onjoinurl: "https://127.0.0.1:12000/api/v1/jt808/event/join-audio"
    onleaveurl: "https://127.0.0.1:12000/api/v1/jt808/event/leave-audio"
    overtimesecond: 60
  realtime:
    addr: '0.0.0.0:12051'
    onjoinurl: "https://127.0.0.1:12000/api/v1/jt808/event/real-time-join"
    onleaveurl: "https://127.0.0.1:12000/api/v1/jt808/event/real-time-leave"
    prefix: "live/jt1078"
  playback:
    addr: '0.0.0.0:12052'
    onjoinurl: "https://127.0.0.1:12000/api/v1/play-back-join"
    onleaveurl: "https://127.0.0.1:12000/api/v1/play-back-leave"
    prefix: "live/jt1079"
  simulations:
    - name: ../testdata/data.txt
      addr: 127.0.0.1:12051
mp4:
  enable: true
`;

describe('parseConfig', () => {
  it('takes the Monibuca HTTP listen address however it is spelled', () => {
    for (const key of ['listenaddr', 'listen_addr', 'ListenAddr']) {
      const { config, notes } = parseConfig(`global:\n  HTTP:\n    ${key}: ":12079"\n`, 'test');
      expect(config.cluster.http.addr, key).toBe('0.0.0.0:12079');
      expect(notes.join('\n')).toMatch(/used as cluster\.http\.addr/);
    }
  });

  it('gives working defaults for an empty file', () => {
    const { config } = parseConfig('', 'test');
    expect(config.jt1078.realtime.addr).toBe('0.0.0.0:12051');
    expect(config.jt1078.playback.prefix).toBe('live/jt1079');
    expect(config.jt1078.intercom.audio_ports).toEqual([12021, 12050]);
    expect(config.cluster.hls).toEqual({ part_ms: 500, segment_ms: 2000, signing_secret: '' });
    expect(config.cluster.http.addr).toBe('0.0.0.0:8080');
  });

  it('accepts an m7s-jt1078 config unchanged, aliases included', () => {
    const { config, notes } = parseConfig(M7S_EXAMPLE, 'm7s');
    expect(config.jt1078.intercom.audio_ports).toEqual([12021, 12050]);
    expect(config.jt1078.intercom.on_join_url).toBe('https://127.0.0.1:12000/api/v1/jt808/event/join-audio');
    expect(config.jt1078.intercom.overtime_second).toBe(60);
    expect(config.jt1078.intercom.jt1078webrtc).toEqual({ port: 12020, ip: '124.221.30.46' });
    expect(config.jt1078.realtime.on_leave_url).toBe('https://127.0.0.1:12000/api/v1/jt808/event/real-time-leave');
    expect(config.jt1078.simulations).toEqual([{ name: '../testdata/data.txt', addr: '127.0.0.1:12051' }]);
    expect(config.cluster.http.addr).toBe('0.0.0.0:12079');
    expect(notes.some((n) => n.includes("'mp4'"))).toBe(true);
  });

  it('names an unknown key with its full path', () => {
    expect(() => parseConfig('jt1078:\n  realtime:\n    adrr: 1.2.3.4:5\n', 'bad')).toThrowError(
      /jt1078\.realtime\.adrr: unknown key/,
    );
  });

  it('names a wrong type with the expected type', () => {
    try {
      parseConfig('jt1078:\n  intercom:\n    overtime_second: "soon"\n', 'bad');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([
        'jt1078.intercom.overtime_second: Invalid input: expected number, received string',
      ]);
    }
  });

  it('rejects an unknown top-level section and a malformed URL', () => {
    expect(() => parseConfig('nonsense: 1\n', 'bad')).toThrowError(/nonsense: unknown key/);
    expect(() => parseConfig('jt1078:\n  realtime:\n    on_join_url: "not a url"\n', 'bad')).toThrowError(
      /jt1078\.realtime\.on_join_url/,
    );
  });

  it('applies environment overrides for cluster keys', () => {
    const { config } = parseConfig('', 'env', {
      NATS_URL: 'nats://10.0.0.1:4222',
      REDIS_URL: 'redis://10.0.0.2:6379',
      JT1078_CLUSTER__HLS__PART_MS: '300',
    });
    expect(config.cluster.nats.url).toBe('nats://10.0.0.1:4222');
    expect(config.cluster.redis.url).toBe('redis://10.0.0.2:6379');
    expect(config.cluster.hls.part_ms).toBe(300);
  });

  it('sets every port and address from the environment, and names the variable of a bad value', () => {
    const { config } = parseConfig('', 'env', {
      REALTIME_ADDR: '127.0.0.1:13051', PLAYBACK_ADDR: ':13052', AUDIO_PORTS: '13021-13030', WEBRTC_PORT: '13020', WEBRTC_UDP_PORTS: '[14000, 14099]',
    });
    expect([config.jt1078.realtime.addr, config.jt1078.playback.addr]).toEqual(['127.0.0.1:13051', ':13052']);
    expect([config.jt1078.intercom.audio_ports, config.jt1078.intercom.jt1078webrtc.port, config.cluster.intercom.webrtc_udp_ports]).toEqual([[13021, 13030], 13020, [14000, 14099]]);
    expect(() => parseConfig('', 'env', { HTTP_ADDR: 'abc' })).toThrowError(/cluster\.http\.addr: .* \(set by the environment: HTTP_ADDR=abc\)/);
    expect(() => parseConfig('', 'env', { AUDIO_PORTS: '13021-99999' })).toThrowError(/jt1078\.intercom\.audio_ports.*\(set by the environment: AUDIO_PORTS=13021-99999\)/);
  });

  it('checks a port\'s range, naming the key', () => {
    expect(() => parseConfig("jt1078:\n  realtime:\n    addr: '0.0.0.0:99999'\n", 'bad')).toThrowError(/jt1078\.realtime\.addr: the port must be 0\.\.65535/);
  });

  it('reads every address with parseHostPort: a bracketed IPv6 host passes, what it refuses names the key', () => {
    expect(parseConfig("cluster:\n  http: { addr: '[::1]:8081' }\n", 'v6').config.cluster.http.addr).toBe('[::1]:8081');
    expect(parseConfig("jt1078:\n  realtime: { addr: ':12051' }\n", 'any').config.jt1078.realtime.addr).toBe(':12051');
    for (const addr of ['::1:8081', '127.0.0.1', 'host name:80', '127.0.0.1:']) {
      expect(() => parseConfig(`cluster:\n  http: { addr: '${addr}' }\n`, 'bad')).toThrowError(/cluster\.http\.addr: expected "host:port"/);
    }
  });

  it('says whether the file has simulations (`jt1078 start` adds the shipped one otherwise)', () => {
    expect(parseConfig('cluster:\n  http: { addr: 127.0.0.1:8081 }\n', 'f').simulationsGiven).toBe(false);
    expect(parseConfig('jt1078:\n  simulations: []\n', 'f').simulationsGiven).toBe(true);
  });
});
