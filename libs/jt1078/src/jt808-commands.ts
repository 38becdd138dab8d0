/**
 * The two JT808 platform commands that start and stop JT1078 streams, as the binary message body
 * (JT/T 1078-2016 §5.5.3 table 17 for 0x9101, table 18 for 0x9102) and as the JSON body the
 * go-jt808 HTTP API takes (`POST /api/v1/jt808/9101` with `{ key: <sim>, data: {...} }`, field
 * names as its model.P0x9101 / P0x9102 json tags).
 */

export class Jt808CommandError extends Error {
  override readonly name = 'Jt808CommandError';
  readonly kind = 'jt808-command';
}

/** 0x9101 data type (table 17): what the device should send. */
export const AvDataType = { audioVideo: 0, video: 1, intercom: 2, listen: 3, broadcast: 4, passthrough: 5 } as const;
/** 0x9102 control command (table 18). */
export const AvControlCommand = { close: 0, switchStream: 1, pause: 2, resume: 3, closeIntercom: 4 } as const;

export interface RealtimeAvRequest {
  /** Address the device connects to. */
  readonly serverIPAddr: string;
  readonly tcpPort: number;
  readonly udpPort: number;
  readonly channelNo: number;
  /** 0 audio+video, 1 video, 2 two-way intercom, 3 listen, 4 broadcast, 5 passthrough. */
  readonly dataType: number;
  /** 0 main stream, 1 sub stream. */
  readonly streamType: number;
}

export interface AvTransmissionControl {
  readonly channelNo: number;
  readonly controlCmd: number;
  /** 0 close audio and video, 1 close audio only, 2 close video only. */
  readonly closeAudioVideoData: number;
  /** 0 main stream, 1 sub stream. */
  readonly streamType: number;
}

/** go-jt808's HTTP request body. */
export interface Jt808HttpCommand<T> {
  readonly key: string;
  readonly data: T;
}

function u8(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 255) throw new Jt808CommandError(`${name} ${v} is not a u8`);
  return v;
}

function u16(name: string, v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new Jt808CommandError(`${name} ${v} is not a u16`);
  return v;
}

/** The 0x9101 JSON for go-jt808, `serverIPLen` computed from the address. */
export function realtimeAvRequestJson(sim: string, req: RealtimeAvRequest): Jt808HttpCommand<RealtimeAvRequest & { serverIPLen: number }> {
  return { key: sim, data: { serverIPLen: Buffer.byteLength(req.serverIPAddr, 'latin1'), ...req } };
}

export function avTransmissionControlJson(sim: string, ctl: AvTransmissionControl): Jt808HttpCommand<AvTransmissionControl> {
  return { key: sim, data: { ...ctl } };
}

/** Table 17: IP length u8, IP (string), TCP port u16, UDP port u16, channel, data type, stream type. */
export function encodeRealtimeAvRequest(req: RealtimeAvRequest): Uint8Array {
  const ip = Buffer.from(req.serverIPAddr, 'latin1');
  u8('serverIPLen', ip.length);
  const out = new Uint8Array(1 + ip.length + 7);
  out[0] = ip.length;
  out.set(ip, 1);
  let p = 1 + ip.length;
  const tcp = u16('tcpPort', req.tcpPort);
  const udp = u16('udpPort', req.udpPort);
  out[p++] = tcp >> 8;
  out[p++] = tcp & 0xff;
  out[p++] = udp >> 8;
  out[p++] = udp & 0xff;
  out[p++] = u8('channelNo', req.channelNo);
  out[p++] = u8('dataType', req.dataType);
  out[p] = u8('streamType', req.streamType);
  return out;
}

export function decodeRealtimeAvRequest(body: Uint8Array): RealtimeAvRequest {
  const ipLen = body[0];
  if (ipLen === undefined || body.length !== 1 + ipLen + 7) throw new Jt808CommandError(`0x9101 body of ${body.length} bytes does not match its IP length ${ipLen}`);
  const p = 1 + ipLen;
  return {
    serverIPAddr: Buffer.from(body.subarray(1, p)).toString('latin1'),
    tcpPort: (body[p]! << 8) | body[p + 1]!,
    udpPort: (body[p + 2]! << 8) | body[p + 3]!,
    channelNo: body[p + 4]!,
    dataType: body[p + 5]!,
    streamType: body[p + 6]!,
  };
}

/** Table 18: channel, control command, close type, stream type: one byte each. */
export function encodeAvTransmissionControl(ctl: AvTransmissionControl): Uint8Array {
  return new Uint8Array([
    u8('channelNo', ctl.channelNo),
    u8('controlCmd', ctl.controlCmd),
    u8('closeAudioVideoData', ctl.closeAudioVideoData),
    u8('streamType', ctl.streamType),
  ]);
}

export function decodeAvTransmissionControl(body: Uint8Array): AvTransmissionControl {
  if (body.length !== 4) throw new Jt808CommandError(`0x9102 body must be 4 bytes, got ${body.length}`);
  return { channelNo: body[0]!, controlCmd: body[1]!, closeAudioVideoData: body[2]!, streamType: body[3]! };
}
