/**
 * The WebRTC side's Prometheus metrics: sessions now and how they ended, offers refused, RTP
 * in (browser → devices) and out (devices → browser), what was dropped and why, and ICE/DTLS
 * failures. Nothing is dropped without landing in `drops` under its reason.
 */
import { Counter, Gauge, Histogram, type Registry } from '@jt1078/runtime/metrics';
import { BusyReason } from './webrtc-intercom-busy.js';

export const SessionOutcome = {
  /** The browser closed the peer connection (DTLS close_notify, ICE closed). */
  closed: 'closed',
  /** `DELETE /api/v1/intercom/sessions/<id>`. */
  deleted: 'deleted',
  /** ICE checks failed, or the browser went away and consent was lost for the grace period. */
  iceFailed: 'ice-failed',
  /** ICE connected but the DTLS handshake failed. */
  dtlsFailed: 'dtls-failed',
  /** Never connected within the connect timeout after the answer. */
  timeout: 'timeout',
  /** The process is shutting down. */
  shutdown: 'shutdown',
  /** The answer could not be made (werift refused the offer, the bus refused a subscription). */
  setupFailed: 'setup-failed',
} as const;
export type SessionOutcome = (typeof SessionOutcome)[keyof typeof SessionOutcome];

/** Why an offer got no answer: a bad body (400), no token (401), or IntercomBusy's reasons (503), or werift failing (500). */
export const OfferRejection = {
  invalid: 'invalid',
  unauthorized: 'unauthorized',
  ...BusyReason,
  setupFailed: 'setup-failed',
} as const;
export type OfferRejection = (typeof OfferRejection)[keyof typeof OfferRejection];

export function createWebRtcMetrics(registry: Registry) {
  const registers = [registry];
  return {
    sessions: new Gauge({ name: 'jt1078_intercom_webrtc_sessions', help: 'WebRTC talk sessions open on this process', registers }),
    sessionsEnded: new Counter({ name: 'jt1078_intercom_webrtc_sessions_total', help: 'WebRTC talk sessions ended, by outcome', labelNames: ['outcome'], registers }),
    offersRejected: new Counter({ name: 'jt1078_intercom_webrtc_requests_rejected_total', help: 'Intercom API requests answered with an error, by reason', labelNames: ['reason'], registers }),
    rtpPackets: new Counter({ name: 'jt1078_intercom_webrtc_rtp_packets_total', help: 'RTP packets: in from browsers, out to browsers', labelNames: ['direction'], registers }),
    rtpBytes: new Counter({ name: 'jt1078_intercom_webrtc_rtp_payload_bytes_total', help: 'RTP payload bytes: in from browsers, out to browsers', labelNames: ['direction'], registers }),
    talkPublished: new Counter({ name: 'jt1078_intercom_webrtc_talk_published_total', help: 'Talk audio messages published to devices (one per RTP packet and group member)', registers }),
    drops: new Counter({ name: 'jt1078_intercom_webrtc_drops_total', help: 'Audio not passed on, by direction and reason', labelNames: ['direction', 'reason'], registers }),
    failures: new Counter({ name: 'jt1078_intercom_webrtc_failures_total', help: 'ICE and DTLS failures', labelNames: ['layer'], registers }),
    setupSeconds: new Histogram({ name: 'jt1078_intercom_webrtc_answer_seconds', help: 'Offer received to answer sent', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers }),
  };
}

export type WebRtcMetrics = ReturnType<typeof createWebRtcMetrics>;
