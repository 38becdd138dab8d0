/**
 * Talk audio towards devices (TalkBus) and viewer notices towards the ingest (ViewerBus): core
 * publish and subscribe, no window (late talk audio and old notices are useless).
 */
import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import type { BusStats } from './bus-stats.js';
import type { TalkFilter, Unsubscribe, ViewerFilter } from './media-bus.js';
import type { NatsBusContext } from './nats-bus-context.js';
import type { Subjects } from './subjects.js';
import { talkFromMessage, talkHeaders, type TalkAudio } from './talk-envelope.js';
import { decodeViewerNotice, encodeViewerNotice, type ViewerNotice } from './viewer-notice.js';

function toHeaders(m: ReadonlyMap<string, string>): MsgHdrs {
  const h = natsHeaders();
  for (const [k, v] of m) h.set(k, v);
  return h;
}

export class NatsTalkViewers {
  constructor(private readonly ctx: NatsBusContext) {}

  private get nc(): NatsConnection {
    return this.ctx.nc;
  }

  private get stats(): BusStats {
    return this.ctx.stats;
  }

  private get subjects(): Subjects {
    return this.ctx.subjects;
  }

  publishTalk(audio: TalkAudio): void {
    const subject = this.subjects.talkDown(audio.sim, audio.channel);
    const headers = toHeaders(talkHeaders(audio));
    if (this.nc.isClosed() || this.nc.isDraining()) return;
    this.nc.publish(subject, audio.data, { headers });
    this.stats.talkPublished++;
  }

  async subscribeTalk(filter: TalkFilter, handler: (audio: TalkAudio) => void): Promise<Unsubscribe> {
    const deliver = this.ctx.safe(handler);
    return this.ctx.subscribe(this.subjects.talkDownFilter(filter.sim, filter.channel), (subject, headers, data) => deliver(talkFromMessage(subject, headers, data)));
  }

  publishViewers(notice: ViewerNotice): void {
    const subject = this.subjects.viewers(notice.streamKind, notice.sim, notice.channel);
    if (this.nc.isClosed() || this.nc.isDraining()) return;
    this.nc.publish(subject, encodeViewerNotice(notice));
    this.stats.viewerNoticesPublished++;
  }

  async subscribeViewers(filter: ViewerFilter, handler: (notice: ViewerNotice) => void): Promise<Unsubscribe> {
    const deliver = this.ctx.safe(handler);
    return this.ctx.subscribe(this.subjects.viewersFilter(filter.streamKind, filter.sim, filter.channel), (_s, _h, data) => deliver(decodeViewerNotice(data)));
  }
}
