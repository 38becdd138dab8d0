// The public surface: what the CLI, other services, the benchmarks (bench/) and the tests use; the rest is internal.
export { CaptureReplay, deviceSims, loadCapturePackets, type CapturePackets, type ReplayOptions } from './capture-replay.js';
export { SimulatedDevice, type SimulatedDeviceOptions } from './simulated-device.js';
export { DeviceFleet, type DeviceFleetOptions } from './device-fleet.js';
export { SEND_STAMP_TAIL, hasSendStamp, monotonicNs, readSendStamp, sendStampNal, writeSendStamp } from './send-stamp.js';
export { simulateCommand, parseHostPort, SIMULATE_USAGE } from './simulate-command.js';
