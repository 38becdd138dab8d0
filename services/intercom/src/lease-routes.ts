/**
 * The lease API (README "Intercom"):
 *
 *   POST   /api/v1/intercom/leases          {sim, channel} → 201 the port, the address devices
 *                                           reach, expiry, token and the ready 0x9101 body
 *   GET    /api/v1/intercom/leases          the leases held now
 *   GET    /api/v1/intercom/leases/<port>   one of them
 *   DELETE /api/v1/intercom/leases/<port>   ends the talk (the holder of the device closes it
 *                                           within ~1 s) and returns the 0x9102 body
 *
 * Any pod serves any of these: the leases live in the store. With `jt808_url` set the service
 * sends 0x9101 / 0x9102 to the JT808 platform itself and reports how that went.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  AvControlCommand, AvDataType, avTransmissionControlJson, encodeAvTransmissionControl, encodeRealtimeAvRequest, realtimeAvRequestJson,
  type AvTransmissionControl, type RealtimeAvRequest,
} from '@jt1078/jt1078';
import { echoValue, readJsonBody, sendJson, type HttpRouter } from '@jt1078/runtime/http';
import type { Logger } from '@jt1078/runtime/logger';
import { InvalidLeaseRequest, LeaseUnavailable, type PortLease, type PortLeaseStore } from '@jt1078/store';
import { checkBearerToken } from './bearer-token.js';
import type { IntercomMetrics } from './intercom-metrics.js';
import type { Jt808Gateway, Jt808Outcome } from './jt808-gateway.js';
import { InvalidLeaseBody, parseLeaseRequest } from './lease-request.js';

export const LEASES_PATH = '/api/v1/intercom/leases';

export interface LeaseRoutesDeps {
  readonly leases: PortLeaseStore;
  /** The leased range, `jt1078.intercom.audio_ports`. */
  readonly ports: readonly [number, number];
  /** How long a new lease waits for its device. */
  readonly connectTtlMs: number;
  /** This pod's name, the lease's holder. */
  readonly holder: string;
  /** The address devices are sent to (the 0x9101 server IP). */
  readonly publicAddress: () => Promise<string>;
  /** `jt1078.intercom.token`; empty = no token needed. */
  readonly token: string;
  readonly jt808?: Jt808Gateway | undefined;
  /** Closes the talk on `port` if this pod holds its device (the others notice within a second). */
  readonly endTalk?: (port: number, err: string) => number;
  readonly metrics: IntercomMetrics;
  readonly log: Logger;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function leaseView(l: PortLease, ip: string) {
  return { port: l.port, sim: l.sim, channel: l.channel, address: `${ip}:${l.port}`, expiresAt: new Date(l.expiresAt).toISOString(), token: l.token, holder: l.holder };
}

export function addLeaseRoutes(router: HttpRouter, deps: LeaseRoutesDeps): HttpRouter {
  const [lo, hi] = deps.ports;
  const send = async (command: '9101' | '9102', body: Parameters<Jt808Gateway['send']>[1]): Promise<Jt808Outcome | undefined> => {
    if (!deps.jt808) return undefined;
    const outcome = await deps.jt808.send(command, body);
    deps.metrics.jt808.inc({ command, result: outcome.ok ? 'ok' : 'failed' });
    if (!outcome.ok) deps.log.warn({ command, sim: body.key, outcome }, `JT808 platform did not take 0x${command}`);
    return outcome;
  };
  /** The leased port of a `/leases/<port>` path, or the 400/404 already sent. */
  const portOf = (res: ServerResponse, text: string | undefined): number | undefined => {
    const port = Number(text);
    if (!/^\d{1,5}$/.test(text ?? '')) {
      sendJson(res, 400, { error: `port '${echoValue(text)}' is not a port number`, field: 'port' });
      return undefined;
    }
    if (port < lo || port > hi) {
      sendJson(res, 404, { error: `port ${port} is outside the audio port range ${lo}-${hi}`, reason: 'not-in-range', ports: [lo, hi] });
      return undefined;
    }
    return port;
  };

  const create = async (req: IncomingMessage, res: ServerResponse) => {
    checkBearerToken(req, deps.token);
    let target;
    try {
      target = parseLeaseRequest(await readJsonBody(req));
    } catch (err) {
      if (err instanceof InvalidLeaseBody) return sendJson(res, 400, { error: err.message, field: err.field });
      throw err;
    }
    const ip = await deps.publicAddress();
    let lease: PortLease;
    try {
      lease = await deps.leases.acquire(target, { ports: deps.ports, ttlMs: deps.connectTtlMs, holder: deps.holder });
    } catch (err) {
      if (err instanceof LeaseUnavailable) {
        deps.metrics.leases.inc({ outcome: 'unavailable' });
        return sendJson(res, 409, { error: err.message, reason: err.reason, ports: [lo, hi] });
      }
      if (err instanceof InvalidLeaseRequest) return sendJson(res, 400, { error: err.message });
      throw err;
    }
    deps.metrics.leases.inc({ outcome: 'granted' });
    const av: RealtimeAvRequest = { serverIPAddr: ip, tcpPort: lease.port, udpPort: 0, channelNo: lease.channel, dataType: AvDataType.intercom, streamType: 0 };
    const json = realtimeAvRequestJson(lease.sim, av);
    const body = { ...leaseView(lease, ip), command9101: { binary: hex(encodeRealtimeAvRequest(av)), json } };
    const jt808 = await send('9101', json);
    if (jt808 && !jt808.ok) {
      // The device was not told: the port would sit idle until the connect ttl; free it now.
      await deps.leases.release(lease.port, lease.token).catch(() => false);
      deps.metrics.leases.inc({ outcome: 'jt808-failed' });
      return sendJson(res, 502, { error: `the JT808 platform did not take 0x9101 for SIM ${lease.sim}: ${jt808.msg ?? jt808.error ?? `HTTP ${jt808.status}`}`, reason: 'jt808-failed', ...body, jt808 });
    }
    deps.log.info({ port: lease.port, sim: lease.sim, channel: lease.channel, token: lease.token }, 'audio port leased');
    sendJson(res, 201, jt808 ? { ...body, jt808 } : body);
  };

  const remove = async (req: IncomingMessage, res: ServerResponse, text: string | undefined, query: URLSearchParams) => {
    checkBearerToken(req, deps.token);
    const port = portOf(res, text);
    if (port === undefined) return;
    const lease = await deps.leases.get(port);
    if (!lease) return sendJson(res, 404, { error: `port ${port} is not leased`, reason: 'not-leased' });
    const token = query.get('token');
    if (token !== null && Number(token) !== lease.token) {
      return sendJson(res, 409, { error: `port ${port} is held by lease token ${lease.token}, not ${token}`, reason: 'token-mismatch', token: lease.token });
    }
    await deps.leases.release(port, lease.token);
    deps.metrics.leases.inc({ outcome: 'released' });
    const reason = query.get('reason');
    const closedHere = deps.endTalk?.(port, `ended by DELETE ${LEASES_PATH}/${port}${reason ? `: ${reason}` : ''}`) ?? 0;
    const ctl: AvTransmissionControl = { channelNo: lease.channel, controlCmd: AvControlCommand.closeIntercom, closeAudioVideoData: 0, streamType: 0 };
    const json = avTransmissionControlJson(lease.sim, ctl);
    const jt808 = await send('9102', json);
    deps.log.info({ port, sim: lease.sim, channel: lease.channel, token: lease.token, closedHere }, 'audio port lease ended');
    sendJson(res, 200, { port, sim: lease.sim, channel: lease.channel, released: true, command9102: { binary: hex(encodeAvTransmissionControl(ctl)), json }, ...(jt808 ? { jt808 } : {}) });
  };

  return router
    .on('POST', LEASES_PATH, create)
    .on('GET', LEASES_PATH, async (req, res) => {
      checkBearerToken(req, deps.token);
      const ip = await deps.publicAddress();
      sendJson(res, 200, { ports: [lo, hi], leases: (await deps.leases.list(deps.ports)).map((l) => leaseView(l, ip)) });
    })
    .on('GET', `${LEASES_PATH}/:port`, async (req, res, { path }) => {
      checkBearerToken(req, deps.token);
      const port = portOf(res, path['port']);
      if (port === undefined) return;
      const lease = await deps.leases.get(port);
      if (!lease) return sendJson(res, 404, { error: `port ${port} is not leased`, reason: 'not-leased' });
      sendJson(res, 200, leaseView(lease, await deps.publicAddress()));
    })
    .on('DELETE', `${LEASES_PATH}/:port`, (req, res, { path, query }) => remove(req, res, path['port'], query));
}
