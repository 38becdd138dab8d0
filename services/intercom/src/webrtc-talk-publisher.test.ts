import { describe, expect, it } from 'vitest';
import { MemoryMediaBus, type TalkAudio } from '@jt1078/bus';
import { BatchedTalkPublisher } from './webrtc-talk-publisher.js';

const audio = (sequence: number, sim = '013800138000'): TalkAudio => ({ sim, channel: 1, codec: 'g711a', timestamp: sequence * 20, sequence, sessionId: 's', data: new Uint8Array([sequence]) });

describe('BatchedTalkPublisher', () => {
  it('holds what one turn publishes and sends it, in order, in the next check phase', async () => {
    const bus = new MemoryMediaBus();
    const got: number[] = [];
    await bus.subscribeTalk({}, (a) => got.push(a.sequence));
    const publisher = new BatchedTalkPublisher(bus, () => {});
    for (let i = 0; i < 5; i++) publisher.publish(audio(i));
    expect(got).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(got).toEqual([0, 1, 2, 3, 4]);
  });

  it('publishes at once when the batch is full, and reports what the bus refuses without losing the rest', async () => {
    const bus = new MemoryMediaBus();
    const got: number[] = [];
    await bus.subscribeTalk({}, (a) => got.push(a.sequence));
    const refused: Array<[number, string]> = [];
    const publisher = new BatchedTalkPublisher(bus, (a, err) => refused.push([a.sequence, err.name]), 3);
    publisher.publish(audio(0));
    publisher.publish(audio(1, 'not-a-sim'));
    publisher.publish(audio(2));
    expect(got).toEqual([0, 2]);
    expect(refused).toEqual([[1, 'InvalidSubjectToken']]);
    publisher.publish(audio(3));
    publisher.flush();
    expect(got).toEqual([0, 2, 3]);
  });
});
