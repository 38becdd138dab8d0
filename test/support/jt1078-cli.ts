/**
 * The `jt1078` command run as a user runs it, in a child process: its exit status (null when it
 * had to be killed: it hung), what it wrote, and how long it took.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'services/all-in-one/bin/jt1078.js');
export const CAPTURE = path.join(ROOT, 'testdata/media/h264-g711u.bin');

/** A stack trace line, which no failure message may show without --verbose. */
export const STACK_LINE = /^\s+at .+[(:]\d+/m;

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** The environment without NATS_URL/REDIS_URL (unless given): `start` then runs in one process. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const k of ['NATS_URL', 'REDIS_URL', 'HTTP_ADDR', 'REALTIME_ADDR', 'PLAYBACK_ADDR', 'AUDIO_PORTS', 'WEBRTC_PORT', 'LOG_LEVEL', 'LOG_FORMAT']) {
    if (!(k in extra)) delete e[k];
  }
  return e;
}

/** Runs `jt1078 ARGS`; killed after `timeoutMs` (then status is null). */
export function runJt1078(args: readonly string[], extraEnv: Record<string, string> = {}, timeoutMs = 40_000): Promise<CliResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv(extraEnv), cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ status: signal ? null : code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

export function tempFile(name: string, content: string | Uint8Array): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'cli-')), name);
  writeFileSync(file, content);
  return file;
}
