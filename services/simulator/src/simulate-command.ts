/**
 * `jt1078 simulate --file F --addr HOST:PORT [--loop] [--speed X] [--sim S] [--channel C]
 * [--devices N] [--udp]`: replays a capture as one or many devices.
 */
import { parseArgs } from 'node:util';
import { readCapture } from '@jt1078/jt1078';
import { deviceSims, loadCapturePackets } from './capture-replay.js';
import { DeviceFleet } from './device-fleet.js';

export const SIMULATE_USAGE = `Usage: jt1078 simulate --file FILE --addr HOST:PORT [--loop] [--speed X] [--sim S] [--channel C] [--devices N] [--udp]`;

export function parseHostPort(addr: string): { host: string; port: number } {
  const m = /^\[?([^\]]*)\]?:(\d{1,5})$/.exec(addr);
  if (!m || Number(m[2]) > 65535) throw new Error(`'${addr}' is not HOST:PORT`);
  return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
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
  if (!values.file) {
    process.stderr.write(`jt1078 simulate: --file is required\n${SIMULATE_USAGE}\n`);
    return 2;
  }
  const speed = Number(values.speed);
  const devices = Number(values.devices);
  if (!(speed > 0)) throw new Error(`--speed must be a positive number, got '${values.speed}'`);
  if (!Number.isInteger(devices) || devices < 1) throw new Error(`--devices must be a positive integer, got '${values.devices}'`);
  const channel = values.channel === undefined ? undefined : Number(values.channel);
  if (channel !== undefined && !(Number.isInteger(channel) && channel >= 0 && channel <= 255)) throw new Error(`--channel must be 0..255`);
  const { host, port } = parseHostPort(values.addr);
  const capture = loadCapturePackets(readCapture(values.file));
  const firstSim = capture.packets[0]!.sim;
  const sims = devices === 1 && values.sim === undefined ? [undefined] : deviceSims(values.sim ?? firstSim, devices);
  process.stderr.write(
    `simulate: ${values.file}: ${capture.packets.length} packets, ${(capture.durationMs / 1000).toFixed(1)} s, revision ${capture.revision}; ` +
      `${devices} device(s) → ${values.udp ? 'udp' : 'tcp'}://${host}:${port}${values.loop ? ', looping' : ''}\n`,
  );
  const fleet = new DeviceFleet({ host, port, capture, sims, channel, loop: values.loop, speed, transport: values.udp ? 'udp' : 'tcp' });
  // One line, rewritten in place on a terminal; a line every 5 s into a log.
  const tty = process.stderr.isTTY;
  const progress = setInterval(() => {
    const line = `simulate: ${fleet.connected}/${fleet.devices.length} devices connected, ${fleet.packetsSent} packets, ${(fleet.bytesSent / 1e6).toFixed(1)} MB sent`;
    process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  }, tty ? 500 : 5000).unref();
  const stop = () => fleet.stop();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  await fleet.start();
  clearInterval(progress);
  if (tty) process.stderr.write('\n');
  process.stderr.write(`simulate: done, ${fleet.packetsSent} packets sent\n`);
  return 0;
}
