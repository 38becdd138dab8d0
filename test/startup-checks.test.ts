/**
 * Start-up as `jt1078 start` and each pod command do it: every listener and dependency is
 * checked before anything serves, every problem is in one message (the port, the config key,
 * its environment variable, how to find the holder), and the process exits 1 by itself — never
 * lingering with half of its listeners open. Bad ports and addresses are refused at config
 * checking, naming the key or the variable. The real commands run in child processes.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, STACK_LINE, cliEnv, runJt1078, tempFile } from './support/jt1078-cli.js';
import { freePort, natsUrl, redisUrl, uniquePrefix, until } from './support/services.js';

const held: Server[] = [];
async function holdPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  held.push(server);
  return (server.address() as { port: number }).port;
}

afterEach(() => {
  for (const s of held.splice(0)) s.close();
});

/** Every port of `start` on free ones, some replaced by `over`. */
async function ports(over: Partial<Record<'HTTP_ADDR' | 'REALTIME_ADDR' | 'PLAYBACK_ADDR', number>> = {}): Promise<Record<string, string>> {
  const audio = await freePort();
  return {
    HTTP_ADDR: `127.0.0.1:${over.HTTP_ADDR ?? (await freePort())}`,
    REALTIME_ADDR: `127.0.0.1:${over.REALTIME_ADDR ?? (await freePort())}`,
    PLAYBACK_ADDR: `127.0.0.1:${over.PLAYBACK_ADDR ?? (await freePort())}`,
    AUDIO_PORTS: `${audio}-${audio}`,
    WEBRTC_PORT: String(await freePort()),
  };
}

describe('jt1078 start', () => {
  it('exits 1 when only the playback listener cannot bind (the realtime one would have been free)', async () => {
    const port = await holdPort();
    const r = await runJt1078(['start'], await ports({ PLAYBACK_ADDR: port }));
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      `jt1078 start: port ${port} (playback ingest, TCP 127.0.0.1:${port}, from jt1078.playback.addr) is already in use by another program, perhaps another jt1078. ` +
        `Stop it (\`ss -ltnup 'sport = :${port}'\` shows which), or choose free ports with jt1078.playback.addr in a config file (\`--config FILE\`; \`jt1078 start --print-config\` shows every key) or the PLAYBACK_ADDR environment variable.\n`,
    );
  });

  it('names every conflict in one message: HTTP, realtime and playback', async () => {
    const [http, live, playback] = [await holdPort(), await holdPort(), await holdPort()];
    const r = await runJt1078(['start'], await ports({ HTTP_ADDR: http, REALTIME_ADDR: live, PLAYBACK_ADDR: playback }));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^jt1078 start: 3 problems stop start-up:\n/);
    expect(r.stderr).toContain(`port ${http} (HTTP, TCP 127.0.0.1:${http}, from cluster.http.addr)`);
    expect(r.stderr).toContain('HTTP_ADDR environment variable');
    expect(r.stderr).toContain(`port ${live} (realtime ingest, TCP 127.0.0.1:${live}, from jt1078.realtime.addr)`);
    expect(r.stderr).toContain('REALTIME_ADDR environment variable');
    expect(r.stderr).toContain(`port ${playback} (playback ingest, TCP 127.0.0.1:${playback}, from jt1078.playback.addr)`);
    expect(r.stderr).not.toMatch(STACK_LINE);
    expect(r.stderr).not.toContain('"level"');
  });

  it('names a taken intercom audio port with AUDIO_PORTS', async () => {
    const port = await holdPort();
    const env = { ...(await ports()), AUDIO_PORTS: `${port}-${port}` };
    const r = await runJt1078(['start'], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`port ${port} (intercom audio port, TCP 0.0.0.0:${port}, from jt1078.intercom.audio_ports) is already in use`);
    expect(r.stderr).toContain('AUDIO_PORTS environment variable');
  });

  it('refuses HTTP_ADDR=abc, naming the variable and the key', async () => {
    const r = await runJt1078(['start'], { HTTP_ADDR: 'abc' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('cluster.http.addr: expected "host:port" (host may be empty for all interfaces) (set by the environment: HTTP_ADDR=abc)');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('refuses a port past 65535 in config checking (--print-config too), naming the key', async () => {
    const config = tempFile('config.yaml', "jt1078:\n  realtime:\n    addr: '0.0.0.0:99999'\n");
    for (const args of [['start', '--config', config, '--print-config'], ['start', '--config', config]]) {
      const r = await runJt1078(args);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('jt1078.realtime.addr: the port must be 0..65535');
      expect(r.stderr).not.toContain('RangeError');
    }
  });

  it('refuses WEBRTC_PORT=70000 naming the variable', async () => {
    const r = await runJt1078(['start', '--print-config'], { WEBRTC_PORT: '70000' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/jt1078\.intercom\.jt1078webrtc\.port: .*\(set by the environment: WEBRTC_PORT=70000\)/);
  });

  it('says NATS is out of reach and how to run without it, together with a port conflict', async () => {
    const port = await holdPort();
    const nats = await freePort();
    const r = await runJt1078(['start'], { ...(await ports({ HTTP_ADDR: port })), NATS_URL: `nats://127.0.0.1:${nats}`, REDIS_URL: await redisUrl() });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^jt1078 start: 2 problems stop start-up:/);
    expect(r.stderr).toContain(`port ${port} (HTTP`);
    expect(r.stderr).toContain(`cannot reach NATS at nats://127.0.0.1:${nats} (connection refused), set by cluster.nats.url or NATS_URL.`);
    expect(r.stderr).toContain('or unset NATS_URL and REDIS_URL');
  });
});

describe('each pod command exits 1 when a listener or dependency cannot start', () => {
  async function podEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
    return { NATS_URL: await natsUrl(), REDIS_URL: await redisUrl(), JT1078_CLUSTER__NATS__SUBJECT_ROOT: uniquePrefix('startup'), ...(await ports()), ...extra };
  }

  it.each(['ingest', 'packager', 'intercom', 'webhook'])('jt1078 %s with its HTTP port taken', async (service) => {
    const port = await holdPort();
    const r = await runJt1078([service], await podEnv({ HTTP_ADDR: `127.0.0.1:${port}` }));
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^jt1078 ${service}: port ${port} \\(HTTP, TCP 127\\.0\\.0\\.1:${port}, from cluster\\.http\\.addr\\) is already in use`));
    expect(r.stderr).toContain('HTTP_ADDR environment variable');
    expect(r.stderr).not.toMatch(STACK_LINE);
  });

  it('jt1078 ingest with its playback port taken', async () => {
    const port = await holdPort();
    const r = await runJt1078(['ingest'], await podEnv({ PLAYBACK_ADDR: `127.0.0.1:${port}` }));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`port ${port} (playback ingest, TCP 127.0.0.1:${port}, from jt1078.playback.addr) is already in use`);
  });

  it('jt1078 intercom with an audio port taken', async () => {
    const port = await holdPort();
    const r = await runJt1078(['intercom'], await podEnv({ AUDIO_PORTS: `${port}-${port}` }));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`port ${port} (intercom audio port, TCP 0.0.0.0:${port}, from jt1078.intercom.audio_ports) is already in use`);
  });

  it.each(['webhook', 'packager'])('jt1078 %s with NATS out of reach', async (service) => {
    const nats = await freePort();
    const r = await runJt1078([service], await podEnv({ NATS_URL: `nats://127.0.0.1:${nats}` }));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`jt1078 ${service}: cannot reach NATS at nats://127.0.0.1:${nats} (connection refused), set by cluster.nats.url or NATS_URL.`);
  });

  it('jt1078 ingest with Redis out of reach', async () => {
    const redis = await freePort();
    const r = await runJt1078(['ingest'], await podEnv({ REDIS_URL: `redis://127.0.0.1:${redis}` }));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`jt1078 ingest: cannot reach Redis at redis://127.0.0.1:${redis} (connection refused), set by cluster.redis.url or REDIS_URL.`);
  });
});

describe('--config adds to the defaults', () => {
  /** The log of `jt1078 start --config FILE` up to its ready line. */
  async function startLog(configText: string): Promise<string> {
    const child = spawn(process.execPath, [BIN, 'start', '--config', tempFile('config.yaml', configText)], { env: cliEnv(await ports()), stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout.on('data', (d: Buffer) => (log += d));
    child.stderr.on('data', (d: Buffer) => (log += d));
    try {
      await until(() => log.includes('jt1078 ready') || child.exitCode !== null, 30_000, () => `start; log:\n${log}`);
      return log;
    } finally {
      child.kill('SIGKILL');
    }
  }

  it('keeps the shipped simulation when the file does not mention simulations', async () => {
    const log = await startLog('cluster:\n  webhook: { timeout_second: 2 }\n');
    expect(log).toMatch(/h264-g711u\.bin.*simulation started/);
  }, 40_000);

  it('runs none with `simulations: []`', async () => {
    const log = await startLog('jt1078:\n  simulations: []\n');
    expect(log).toContain('jt1078 ready');
    expect(log).not.toContain('simulation started');
  }, 40_000);
});

describe('the terminal', () => {
  /** `jt1078 start`'s output up to its ready line (or banner). */
  async function startOutput(env: Record<string, string>, viaTerminal: boolean): Promise<string> {
    const args = [BIN, 'start'];
    const all = cliEnv({ ...(await ports()), ...env });
    // util-linux `script` gives the command a pseudo-terminal, as a user's shell does.
    const child = viaTerminal
      ? spawn('script', ['-qfec', `${JSON.stringify(process.execPath)} ${args.map((a) => JSON.stringify(a)).join(' ')}`, '/dev/null'], { env: all, stdio: ['pipe', 'pipe', 'pipe'] })
      : spawn(process.execPath, args, { env: all, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d));
    child.stderr!.on('data', (d: Buffer) => (out += d));
    try {
      await until(() => /jt1078 ready/.test(out) && /Ctrl-C stops|open the console/.test(out), 30_000, () => `start; output:\n${out}`);
      // eslint-disable-next-line no-control-regex -- colours on a terminal
      return out.replace(/\r/g, '').replace(/\x1b\[[0-9;]*m/g, '');
    } finally {
      child.kill('SIGKILL');
    }
  }

  it('on a terminal: text log lines and a banner with the console URL, device ports and the HTTP API', async () => {
    const out = await startOutput({}, true);
    expect(out).toMatch(/^\d\d:\d\d:\d\d .*INFO .*ingest: .*ingest listening/m);
    expect(out).toMatch(/^jt1078 ready\n {2}console {3}http:\/\/127\.0\.0\.1:\d+\/\n {2}devices {3}realtime 127\.0\.0\.1:\d+ \(TCP\+UDP\), playback 127\.0\.0\.1:\d+/m);
    expect(out).toMatch(/^ {2}talk {6}audio ports \d+-\d+ \(TCP\)/m);
    expect(out).toMatch(/^ {2}HTTP API {2}same address: \/api\/v1\/streams/m);
    expect(out).not.toContain('"level"');
  }, 40_000);

  it('piped, or with LOG_FORMAT=json on a terminal: JSON lines', async () => {
    for (const out of [await startOutput({}, false), await startOutput({ LOG_FORMAT: 'json' }, true)]) {
      const ready = out.split('\n').find((l) => l.includes('jt1078 ready'))!;
      expect(JSON.parse(ready)).toMatchObject({ level: 30, msg: 'jt1078 ready: open the console', http: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/$/) });
    }
  }, 80_000);
});
