/**
 * The CLI as a user meets it when something is wrong: a missing file, a port in use, an address
 * that is not this machine's, NATS out of reach. Each runs the real command in a child process
 * and checks that the message names the file, port or config key and says what to do, and that
 * a failed start-up exits instead of hanging on what it had already opened.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from './support/services.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const BIN = path.join(ROOT, 'services/all-in-one/bin/jt1078.js');
const CAPTURE = path.join(ROOT, 'testdata/media/h264-g711u.bin');

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!('NATS_URL' in extra)) delete e['NATS_URL'];
  if (!('REDIS_URL' in extra)) delete e['REDIS_URL'];
  return e;
}

function jt1078(args: string[], extraEnv: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [BIN, ...args], { env: env(extraEnv), encoding: 'utf8', timeout: 30_000, cwd: ROOT });
  // A start-up that failed must end by itself: a timeout leaves status null.
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

function tempFile(name: string, text: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'cli-')), name);
  writeFileSync(file, text);
  return file;
}

/** A config with every listener on a free port (no clash with other tests or a running jt1078). */
async function freeConfig(over: { live?: number; http?: number; simulation?: string } = {}): Promise<string> {
  const [live, playback, http, webrtc, a1, a2] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort(), freePort()]);
  return tempFile('config.yaml', [
    'jt1078:',
    `  realtime: { addr: '127.0.0.1:${over.live ?? live}' }`,
    `  playback: { addr: '127.0.0.1:${playback}' }`,
    `  intercom: { jt1078webrtc: { port: ${webrtc} }, audio_ports: [${Math.min(a1, a2)}, ${Math.min(a1, a2)}] }`,
    ...(over.simulation ? ['  simulations:', `    - { name: ${over.simulation}, addr: '127.0.0.1:${over.live ?? live}' }`] : []),
    'cluster:',
    `  http: { addr: '127.0.0.1:${over.http ?? http}' }`,
  ].join('\n'));
}

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

describe('a missing file', () => {
  it('jt1078 inspect names the file and says what a capture is', () => {
    const r = jt1078(['inspect', 'no-such-capture.bin']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`jt1078 inspect: no file no-such-capture.bin (from ${ROOT}). Give the path of a JT1078 capture: binary, the hex text m7s-jt1078 uses, or CSV lines time,sim,seq,channel,type,subpackage,HEX (e.g. testdata/media/h264-g711u.bin).\n`);
  });

  it('jt1078 package names the file, and an --out it cannot write to', () => {
    const missing = jt1078(['package', '/no/such/capture.bin', '--out', tmpdir()]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toMatch(/^jt1078 package: no file \/no\/such\/capture\.bin\. Give the path of a JT1078 capture/);
    const aFile = tempFile('not-a-dir', 'x');
    const blocked = jt1078(['package', CAPTURE, '--out', path.join(aFile, 'hls')]);
    expect(blocked.status).toBe(2);
    expect(blocked.stderr).toMatch(/^jt1078 package: cannot write .*not-a-dir\/hls \(a part of the path is a file, not a directory\)\. Give --out a directory you can write to/);
  });

  it('jt1078 start names a missing config file', () => {
    const r = jt1078(['start', '--config', '/no/such/config.yaml']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^jt1078 start: no config file \/no\/such\/config\.yaml\. Give --config the path of a YAML file .* or leave --config out/);
  });

  it('jt1078 start names the simulation key whose capture is missing, before opening any port', async () => {
    const r = jt1078(['start', '--config', await freeConfig({ simulation: '/no/such/sim.bin' })]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^jt1078 start: jt1078\.simulations\[0\]\.name: no file \/no\/such\/sim\.bin\. Give the path of a JT1078 capture/m);
    expect(r.stderr).not.toMatch(/"msg":"starting"/);
  });
});

describe('a port in use', () => {
  it('jt1078 start says which port, which config key, and how to free or change it (ingest)', async () => {
    const port = await holdPort();
    const r = jt1078(['start', '--config', await freeConfig({ live: port })]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `jt1078 start: port ${port} (realtime ingest, TCP 127.0.0.1:${port}, from jt1078.realtime.addr) is already in use by another program, perhaps another jt1078. ` +
        `Stop it (\`ss -ltnup 'sport = :${port}'\` shows which), or choose free ports with jt1078.realtime.addr in a config file (\`--config FILE\`; \`jt1078 start --print-config\` shows every key) or the REALTIME_ADDR environment variable.\n`,
    );
  });

  it('jt1078 start says which port and that HTTP_ADDR also sets it (HTTP), after closing what it had opened', async () => {
    const port = await holdPort();
    const r = jt1078(['start', '--config', await freeConfig({ http: port })]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`jt1078 start: port ${port} \\(HTTP, TCP 127\\.0\\.0\\.1:${port}, from cluster\\.http\\.addr\\) is already in use .* with cluster\\.http\\.addr in a config file .* or the HTTP_ADDR environment variable\\.`));
  });
});

describe('a bad address', () => {
  it('jt1078 start says an address is not this machine\'s and names the key', async () => {
    // 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never an address of this machine.
    const port = await freePort();
    const r = jt1078(['start', '--config', await freeConfig()], { HTTP_ADDR: `192.0.2.1:${port}` });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`jt1078 start: 192.0.2.1 (HTTP, 192.0.2.1:${port}, from cluster.http.addr) is not an address of this machine. Use 0.0.0.0 (every interface) or one of this machine's addresses with cluster.http.addr`);
  });

  it('jt1078 start says NATS is out of reach, which keys set it, and how to run without it', async () => {
    const port = await freePort();
    const r = jt1078(['start', '--config', await freeConfig()], { NATS_URL: `nats://127.0.0.1:${port}`, REDIS_URL: 'redis://127.0.0.1:6379' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`jt1078 start: cannot reach NATS at nats://127.0.0.1:${port} (connection refused), set by cluster.nats.url or NATS_URL. Start NATS with JetStream (\`nats-server -js\`) there`);
    expect(r.stderr).toContain('or unset NATS_URL and REDIS_URL');
  });

  it('jt1078 simulate says what HOST:PORT means', () => {
    const r = jt1078(['simulate', '--file', CAPTURE, '--addr', 'localhost']);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/'localhost' is not HOST:PORT/);
  });
});
