/**
 * `jt1078 start` with a config file from m7s-jt1078 (its keys and aliases unchanged): the
 * callbacks arrive with the m7s-jt1078 bodies. And a wrong key stops start-up, naming the key.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, until } from './support/services.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'services/all-in-one/bin/jt1078.js');
const TIME = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/;

function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env['NATS_URL'];
  delete env['REDIS_URL'];
  return env;
}

describe('jt1078 start with an m7s-jt1078 config', () => {
  let receiver: Server;
  const calls: Array<{ path: string; body: Record<string, unknown>; contentType: string }> = [];
  let child: ChildProcess;
  let logs = '';

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c));
      req.on('end', () => {
        calls.push({ path: req.url ?? '', body: JSON.parse(raw) as Record<string, unknown>, contentType: String(req.headers['content-type']) });
        res.writeHead(200).end();
      });
    });
    const rxPort = await freePort();
    await new Promise<void>((r) => receiver.listen(rxPort, '127.0.0.1', r));
    const [live, playback, http, webrtc, audio] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    const rx = `http://127.0.0.1:${rxPort}`;
    // The m7s-jt1078 intercom example, ports changed to free ones, URLs to our receiver.
    const config = path.join(mkdtempSync(path.join(tmpdir(), 'm7s-')), 'config.yaml');
    writeFileSync(config, `global:
  http:
    listenaddr: 127.0.0.1:${http}
  tcp:
    listenaddr: :12081

jt1078:
  enable: true

  intercom:
    enable: true
    jt1078webrtc:
      port: ${webrtc}
      ip: 124.221.30.46
    audioports: [${audio}, ${audio}]
    onjoinurl: "${rx}/api/v1/jt808/event/join-audio"
    onleaveurl: "${rx}/api/v1/jt808/event/leave-audio"

  realtime:
    addr: '127.0.0.1:${live}'
    onjoinurl: "${rx}/api/v1/jt808/event/real-time-join"
    onleaveurl: "${rx}/api/v1/jt808/event/real-time-leave"
    prefix: "live/jt1078"

  playback:
    addr: '127.0.0.1:${playback}'
    onjoinurl: "${rx}/api/v1/play-back-join"
    onleaveurl: "${rx}/api/v1/play-back-leave"
    prefix: "live/jt1079"

  simulations:
    - name: ${path.join(ROOT, 'testdata/media/h264-g711u.bin')}
      addr: 127.0.0.1:${live}

mp4:
  enable: true
`);
    child = spawn(process.execPath, [BIN, 'start', '--config', config], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr!.on('data', (d: Buffer) => (logs += d));
    child.stdout!.on('data', (d: Buffer) => (logs += d));
    await until(() => logs.includes('jt1078 ready') || child.exitCode !== null, 30_000, () => `start; logs:\n${logs}`);
    if (child.exitCode !== null) throw new Error(`jt1078 start exited with ${child.exitCode} before it was ready; logs:\n${logs}`);
  });

  afterAll(() => {
    child?.kill('SIGKILL');
    receiver?.closeAllConnections();
    receiver?.close();
  });

  it('posts the realtime join, and on shutdown the leave, with the m7s-jt1078 bodies', async () => {
    await until(() => calls.some((c) => c.path === '/api/v1/jt808/event/real-time-join'), 15_000, 'join callback');
    const join = calls.find((c) => c.path === '/api/v1/jt808/event/real-time-join')!;
    expect(join.contentType).toBe('application/json; charset=utf-8');
    expect(Object.keys(join.body).sort()).toEqual(['channel', 'sim', 'startTime', 'streamPath']);
    expect(join.body).toMatchObject({ streamPath: 'live/jt1078-013900000003-1', sim: '013900000003', channel: 1 });
    expect(join.body['startTime']).toMatch(TIME);

    child.kill('SIGTERM');
    await until(() => calls.some((c) => c.path === '/api/v1/jt808/event/real-time-leave'), 15_000, () => `leave callback; logs:\n${logs.slice(-2000)}`);
    const leave = calls.find((c) => c.path === '/api/v1/jt808/event/real-time-leave')!;
    expect(leave.body).toEqual({ ...join.body, endTime: expect.stringMatching(TIME) });
    expect(calls.filter((c) => c.path === '/api/v1/jt808/event/real-time-join')).toHaveLength(1);
  }, 40_000);
});

describe('jt1078 start with a wrong config', () => {
  it('stops, naming the unknown key and the one with the wrong type', () => {
    const config = path.join(mkdtempSync(path.join(tmpdir(), 'bad-')), 'config.yaml');
    writeFileSync(config, 'jt1078:\n  realtime:\n    adress: 0.0.0.0:12051\n  intercom:\n    overtimesecond: soon\n');
    const r = spawnSync(process.execPath, [BIN, 'start', '--config', config], { env: cleanEnv(), encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('jt1078.realtime.adress: unknown key');
    expect(r.stderr).toContain('jt1078.intercom.overtime_second: Invalid input: expected number, received string');
  });
});
