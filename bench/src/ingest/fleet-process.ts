/**
 * One process of the benchmark's device fleet (ingest.bench.ts forks several, so the devices do
 * not share the ingest's event loop, and spread over the cores as the scheduler sees fit):
 * `count` devices with SIMs from `firstSim`, looping the bench capture against the ingest, their
 * starts spread over `rampMs`. On a 'stop' message it stops them, reports what they sent, exits.
 */
import { readCapture } from '@jt1078/jt1078';
import { DeviceFleet, deviceSims, loadCapturePackets } from '@jt1078/svc-simulator';

export interface FleetProcessArgs {
  readonly file: string;
  readonly host: string;
  readonly port: number;
  readonly firstSim: string;
  readonly count: number;
  readonly rampMs: number;
}

export interface FleetProcessReport {
  readonly connected: number;
  readonly packets: number;
  readonly bytes: number;
}

const args = JSON.parse(process.argv[2] ?? '{}') as FleetProcessArgs;
const fleet = new DeviceFleet({
  host: args.host,
  port: args.port,
  capture: loadCapturePackets(readCapture(args.file)),
  sims: deviceSims(args.firstSim, args.count),
  loop: true,
  rampMs: args.rampMs,
});
process.on('message', (m) => {
  if (m !== 'stop') return;
  fleet.stop();
  const report: FleetProcessReport = { connected: fleet.connected, packets: fleet.packetsSent, bytes: fleet.bytesSent };
  process.send?.(report, () => process.exit(0));
});
process.on('disconnect', () => {
  fleet.stop();
  process.exit(0);
});
void fleet.start();
