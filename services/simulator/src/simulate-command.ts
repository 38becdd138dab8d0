/**
 * `jt1078 simulate --file F --addr HOST:PORT [--loop] [--speed X] [--sim S] [--channel C]
 * [--devices N] [--udp]`: replays a capture as one or many devices.
 */
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { readCapture } from '@jt1078/jt1078';
import { UsageError } from '@jt1078/runtime/cli';
import { HostPortError, parseHostPort as parseAddr, type HostPort } from '@jt1078/runtime/config';
import { deviceSims, loadCapturePackets } from './capture-replay.js';
import { DeviceFleet } from './device-fleet.js';

export const SIMULATE_USAGE = `Usage: jt1078 simulate --file FILE --addr HOST:PORT [--loop] [--speed X] [--sim S] [--channel C] [--devices N] [--udp]`;

/** Without --loop, this long with no device connected (refused, unknown host) ends the run with an error. */
export const GIVE_UP_AFTER_MS = 10_000;

/** `--addr` (or a simulation's `addr`) as a dial target: no host is this machine; a wrong one is a wrong command line. */
export function parseHostPort(addr: string): HostPort {
  try {
    return parseAddr(addr, '127.0.0.1');
  } catch (err) {
    throw err instanceof HostPortError ? new UsageError(err.message, { cause: err }) : err;
  }
}

/**
 * A SIM of the capture's width that no live vehicle is likely to use: `0199` and random digits
 * (room left for `devices` consecutive ones). The capture's own SIM is what `jt1078 start`'s
 * simulation sends, and a second stream of one name would be renamed `…-<unix ms>`.
 */
export function simulatedSim(captureSim: string, devices: number): string {
  const width = Math.max(12, captureSim.length);
  const free = width - 4;
  const span = Math.min(10 ** free, Number.MAX_SAFE_INTEGER) - devices;
  return `0199${String(randomInt(0, Math.max(1, Math.min(span, 2 ** 47)))).padStart(free, '0')}`;
}

function readCaptureArg(file: string): Uint8Array {
  try {
    return readCapture(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`no file ${file} (from ${process.cwd()}). Give --file the path of a JT1078 capture: binary, or the hex text m7s-jt1078 uses (e.g. testdata/media/h264-g711u.bin).`);
    if (code === 'EISDIR') throw new UsageError(`${file} is a directory. Give --file the path of a JT1078 capture.`);
    if (code === 'EACCES') throw new Error(`no permission to read ${file}. Make it readable (chmod +r).`, { cause: err });
    throw err;
  }
}

export async function simulateCommand(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      file: { type: 'string' },
      addr: { type: 'string', default: '127.0.0.1:12051' },
      loop: { type: 'boolean', default: false },
      speed: { type: 'string', default: '1' },
      sim: { type: 'string' },
      channel: { type: 'string' },
      devices: { type: 'string', default: '1' },
      udp: { type: 'boolean', default: false },
    },
  });
  if (!values.file) throw new UsageError('--file is required');
  const speed = Number(values.speed);
  const devices = Number(values.devices);
  if (!(speed > 0)) throw new UsageError(`--speed must be a positive number, got '${values.speed}'`);
  if (!Number.isInteger(devices) || devices < 1) throw new UsageError(`--devices must be a positive integer, got '${values.devices}'`);
  const channel = values.channel === undefined ? undefined : Number(values.channel);
  if (channel !== undefined && !(Number.isInteger(channel) && channel >= 0 && channel <= 255)) throw new UsageError(`--channel must be 0..255, got '${values.channel}'`);
  if (values.sim !== undefined && !/^\d{1,20}$/.test(values.sim)) throw new UsageError(`--sim must be 1 to 20 digits, got '${values.sim}'`);
  const { host, port } = parseHostPort(values.addr);
  const capture = loadCapturePackets(readCaptureArg(values.file));
  const firstSim = capture.packets[0]!.sim;
  const sims = deviceSims(values.sim ?? simulatedSim(firstSim, devices), devices);
  process.stderr.write(
    `simulate: ${values.file}: ${capture.packets.length} packets, ${(capture.durationMs / 1000).toFixed(1)} s, revision ${capture.revision}; ` +
      `${devices} device(s), SIM ${sims[0]}${devices > 1 ? `…${sims[sims.length - 1]}` : ''} → ${values.udp ? 'udp' : 'tcp'}://${host}:${port}${values.loop ? ', looping' : ''}\n`,
  );
  const fleet = new DeviceFleet({ host, port, capture, sims, channel, loop: values.loop, speed, transport: values.udp ? 'udp' : 'tcp' });
  // One line, rewritten in place on a terminal; a line every 5 s into a log.
  const tty = process.stderr.isTTY;
  const progress = setInterval(() => {
    const line = `simulate: ${fleet.connected}/${fleet.devices.length} devices connected, ${fleet.packetsSent} packets, ${(fleet.bytesSent / 1e6).toFixed(1)} MB sent`;
    process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  }, tty ? 500 : 5000).unref();
  // Without --loop, nobody answering for GIVE_UP_AFTER_MS ends the run: a wrong --addr must not look like a slow start.
  let lastConnectedAt = Date.now();
  let gaveUp: string | undefined;
  const watchdog = setInterval(() => {
    if (fleet.devices.some((d) => d.isConnected)) lastConnectedAt = Date.now();
    else if (!values.loop && Date.now() - lastConnectedAt >= GIVE_UP_AFTER_MS) {
      const why = fleet.devices.find((d) => d.lastError)?.lastError ?? 'no answer';
      gaveUp = `nothing accepted a connection at ${host}:${port} for ${GIVE_UP_AFTER_MS / 1000} s (${why === 'ECONNREFUSED' ? 'connection refused' : why}). ` +
        'Start the ingest there (`jt1078 start` listens on 127.0.0.1:12051), correct --addr, or add --loop to keep trying.';
      fleet.stop();
    }
  }, 250);
  const stop = () => fleet.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await fleet.start();
  clearInterval(progress);
  clearInterval(watchdog);
  if (tty) process.stderr.write('\n');
  if (gaveUp) throw new Error(gaveUp);
  process.stderr.write(`simulate: done, ${fleet.packetsSent} packets sent\n`);
  return 0;
}
