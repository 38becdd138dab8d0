import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AvControlCommand,
  AvDataType,
  decodeAvTransmissionControl,
  decodeRealtimeAvRequest,
  encodeAvTransmissionControl,
  encodeRealtimeAvRequest,
  realtimeAvRequestJson,
  avTransmissionControlJson,
  Jt808CommandError,
} from './jt808-commands.js';

describe('JT808 0x9101 / 0x9102 bodies', () => {
  const talk = { serverIPAddr: '124.221.30.46', tcpPort: 12022, udpPort: 0, channelNo: 1, dataType: AvDataType.intercom, streamType: 0 };

  it('builds the go-jt808 JSON the m7s-jt1078 README sends', () => {
    expect(realtimeAvRequestJson('10088', talk)).toEqual({
      key: '10088',
      data: { serverIPLen: 13, serverIPAddr: '124.221.30.46', tcpPort: 12022, udpPort: 0, channelNo: 1, dataType: 2, streamType: 0 },
    });
    expect(avTransmissionControlJson('10088', { channelNo: 1, controlCmd: AvControlCommand.closeIntercom, closeAudioVideoData: 0, streamType: 0 })).toEqual({
      key: '10088',
      data: { channelNo: 1, controlCmd: 4, closeAudioVideoData: 0, streamType: 0 },
    });
  });

  it('encodes table 17 and decodes it back', () => {
    const bytes = encodeRealtimeAvRequest(talk);
    expect(Buffer.from(bytes).toString('hex')).toBe(`0d${Buffer.from('124.221.30.46').toString('hex')}2ef60000010200`);
    expect(decodeRealtimeAvRequest(bytes)).toEqual(talk);
  });

  it('encodes table 18 as go-jt808 parses it (its test message body 08 01 02 03)', () => {
    const ctl = { channelNo: 8, controlCmd: 1, closeAudioVideoData: 2, streamType: 3 };
    expect(Buffer.from(encodeAvTransmissionControl(ctl)).toString('hex')).toBe('08010203');
    expect(decodeAvTransmissionControl(new Uint8Array([8, 1, 2, 3]))).toEqual(ctl);
  });

  it('refuses values that do not fit', () => {
    expect(() => encodeRealtimeAvRequest({ ...talk, tcpPort: 70000 })).toThrow(Jt808CommandError);
    expect(() => decodeAvTransmissionControl(new Uint8Array(3))).toThrow(/4 bytes/);
    expect(() => decodeRealtimeAvRequest(new Uint8Array([5, 1]))).toThrow(Jt808CommandError);
  });

  it('round-trips any fields that fit, and decodes any bytes or says why not (fuzz, the cases as seeds)', () => {
    const u8 = fc.integer({ min: 0, max: 255 });
    const request = fc.oneof(
      fc.constant(talk),
      fc.record({ serverIPAddr: fc.string({ maxLength: 40 }).map((s) => s.replace(/[^\x20-\x7e]/g, 'x')), tcpPort: fc.integer({ min: 0, max: 0xffff }), udpPort: fc.integer({ min: 0, max: 0xffff }), channelNo: u8, dataType: u8, streamType: u8 }),
    );
    fc.assert(fc.property(request, (req) => {
      expect(decodeRealtimeAvRequest(encodeRealtimeAvRequest(req))).toEqual(req);
    }), { numRuns: 300 });
    fc.assert(
      fc.property(fc.record({ channelNo: u8, controlCmd: u8, closeAudioVideoData: u8, streamType: u8 }), (ctl) => {
        expect(decodeAvTransmissionControl(encodeAvTransmissionControl(ctl))).toEqual(ctl);
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), (bytes) => {
        for (const decode of [decodeRealtimeAvRequest, decodeAvTransmissionControl]) {
          try {
            decode(bytes);
          } catch (e) {
            expect(e).toBeInstanceOf(Jt808CommandError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });
});
