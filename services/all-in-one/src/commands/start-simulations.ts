/**
 * The simulated vehicles of `jt1078 start`: every `jt1078.simulations` capture (or, with no
 * config, the one the project ships), read before anything listens, then replayed in a loop to
 * the ingest this process runs, as a service whose shutdown step stops them first.
 */
import path from 'node:path';
import { parseHostPort, type Config } from '@jt1078/runtime/config';
import type { RunningService } from '@jt1078/runtime/lifecycle';
import type { Logger } from '@jt1078/runtime/logger';
import type { IngestService } from '@jt1078/svc-ingest';
import { CaptureReplay, SimulatedDevice, loadCapturePackets, type CapturePackets } from '@jt1078/svc-simulator';
import { readCaptureFile } from './read-capture-file.js';

const ROOT = path.resolve(import.meta.dirname, '../../../..');

/** With no --config: the defaults, plus a simulation of a capture the project ships. */
const DEFAULT_SIMULATION = path.join(ROOT, 'testdata/media/h264-g711u.bin');

export interface LoadedSimulation {
  readonly file: string;
  readonly addr: string | undefined;
  readonly capture: CapturePackets;
}

/** Every simulation's capture, read before anything listens: a wrong path stops start-up naming its key. */
export function loadSimulations(config: Config, useDefault: boolean): LoadedSimulation[] {
  const sims: Array<{ file: string; addr: string | undefined; key: string }> = config.jt1078.simulations.map((s, i) => ({
    file: path.isAbsolute(s.name) ? s.name : path.resolve(process.cwd(), s.name),
    addr: s.addr,
    key: `jt1078.simulations[${i}].name`,
  }));
  if (useDefault && sims.length === 0) sims.push({ file: DEFAULT_SIMULATION, addr: undefined, key: 'the shipped simulation' });
  return sims.map((s) => {
    const bytes = readCaptureFile(s.file, s.key);
    try {
      return { file: s.file, addr: s.addr, capture: loadCapturePackets(bytes) };
    } catch (err) {
      throw new Error(`${s.key}: ${s.file}: ${(err as Error).message}. Give a JT1078 capture (binary or m7s-jt1078 hex text).`, { cause: err });
    }
  });
}

export function startSimulations(simulations: readonly LoadedSimulation[], config: Config, ingest: IngestService, log: Logger): RunningService {
  const live = ingest.server.addresses().live.tcp;
  const playback = ingest.server.addresses().playback.tcp;
  const realtimePort = parseHostPort(config.jt1078.realtime.addr).port;
  const playbackPort = parseHostPort(config.jt1078.playback.addr).port;
  const devices = simulations.map((s) => {
    // A simulation aimed at a configured listener follows it when the port was 0 (tests).
    const target = s.addr === undefined ? { host: '127.0.0.1', port: live } : parseHostPort(s.addr, '127.0.0.1');
    const port = target.port === realtimePort ? live : target.port === playbackPort ? playback : target.port;
    const device = new SimulatedDevice({ host: target.host, port, replay: new CaptureReplay(s.capture, { loop: true }) });
    void device.start();
    log.info({ file: s.file, addr: `${target.host}:${port}` }, 'simulation started');
    return device;
  });
  return { steps: [{ name: 'stop simulations', run: () => devices.forEach((d) => d.stop()) }] };
}
