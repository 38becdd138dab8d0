/** `/healthz`, `/readyz` and `/metrics`, the same on every service. */
import type { Registry } from 'prom-client';
import type { HealthState } from '../lifecycle/health-state.js';
import { sendJson, type HttpRouter } from './http-router.js';

export function addOpsRoutes(router: HttpRouter, health: HealthState, metrics: Registry): HttpRouter {
  return router
    .on('GET', '/healthz', (_req, res) => sendJson(res, 200, { ok: true }))
    .on('GET', '/readyz', (_req, res) => {
      const ready = health.ready;
      sendJson(res, ready ? 200 : 503, { ready, reasons: health.reasons() });
    })
    .on('GET', '/metrics', async (_req, res) => {
      const text = await metrics.metrics();
      res.writeHead(200, { 'Content-Type': metrics.contentType });
      res.end(text);
    });
}
