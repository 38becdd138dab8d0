/**
 * H.264 access units to RTP payloads (RFC 6184, packetization-mode 1): a NAL unit that fits is
 * sent whole (§5.6, single NAL unit packet), a larger one is cut into FU-A fragments (§5.8). The
 * marker bit is set on the access unit's last packet (§5.1). Access unit delimiters are dropped
 * (§5.6 lets a sender leave them out; WebRTC receivers ignore them), and a key frame without its
 * own parameter sets gets the stream's last SPS/PPS in front, so a receiver that joins at it can
 * decode.
 */
import { splitAnnexB } from '../annexb/annexb.js';
import { h264NalType } from '../annexb/nal-unit-type.js';

/** A payload for one RTP packet; the caller owns the header (sequence, timestamp, SSRC). */
export interface RtpPayload {
  readonly payload: Uint8Array;
  /** Last packet of the access unit (RTP M bit). */
  readonly marker: boolean;
}

/** RTP payload bytes per packet: 1200 keeps a packet with SRTP and headers under a 1280-byte IPv6 MTU. */
export const DEFAULT_RTP_PAYLOAD_BYTES = 1200;

const NAL_SPS = 7;
const NAL_PPS = 8;
const NAL_AUD = 9;
const NAL_IDR = 5;
const FU_A = 28;
const FU_START = 0x80;
const FU_END = 0x40;

export class H264RtpPacketizer {
  #sps: Uint8Array | undefined;
  #pps: Uint8Array | undefined;

  constructor(readonly maxPayloadBytes = DEFAULT_RTP_PAYLOAD_BYTES) {
    if (maxPayloadBytes < 3) throw new RangeError('an FU-A payload needs at least 3 bytes');
  }

  /** The payloads for one access unit (Annex-B); [] for one with no NAL unit worth sending. */
  packetize(accessUnit: Uint8Array): RtpPayload[] {
    const units = splitAnnexB(accessUnit).filter((u) => u.length > 0 && h264NalType(u) !== NAL_AUD);
    let hasSps = false;
    let hasPps = false;
    let idr = false;
    for (const u of units) {
      const t = h264NalType(u);
      if (t === NAL_SPS) [this.#sps, hasSps] = [u, true];
      else if (t === NAL_PPS) [this.#pps, hasPps] = [u, true];
      else if (t === NAL_IDR) idr = true;
    }
    const send = idr && !(hasSps && hasPps) && this.#sps && this.#pps ? [this.#sps, this.#pps, ...units.filter((u) => h264NalType(u) !== NAL_SPS && h264NalType(u) !== NAL_PPS)] : units;
    const out: RtpPayload[] = [];
    for (const unit of send) this.#packetizeUnit(unit, out);
    if (out.length > 0) out[out.length - 1] = { payload: out[out.length - 1]!.payload, marker: true };
    return out;
  }

  #packetizeUnit(unit: Uint8Array, out: RtpPayload[]): void {
    if (unit.length <= this.maxPayloadBytes) {
      out.push({ payload: unit, marker: false });
      return;
    }
    // FU indicator: the NAL's F and NRI bits with type 28; FU header: S/E bits and the NAL type.
    const indicator = (unit[0]! & 0xe0) | FU_A;
    const type = unit[0]! & 0x1f;
    const chunk = this.maxPayloadBytes - 2;
    for (let o = 1; o < unit.length; o += chunk) {
      const end = Math.min(o + chunk, unit.length);
      const p = new Uint8Array(2 + end - o);
      p[0] = indicator;
      p[1] = (o === 1 ? FU_START : 0) | (end === unit.length ? FU_END : 0) | type;
      p.set(unit.subarray(o, end), 2);
      out.push({ payload: p, marker: false });
    }
  }
}
