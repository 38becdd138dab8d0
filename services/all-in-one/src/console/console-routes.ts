/**
 * The web console: the page at `/`, its players (hls.js and mpegts.js, served from the project so
 * the console works without internet) and the event stream it shows.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { HttpRouter } from '@jt1078/runtime/http';
import type { EventStream } from './event-stream.js';

const PUBLIC = path.resolve(import.meta.dirname, '../../public');
const require = createRequire(import.meta.url);

export function addConsoleRoutes(router: HttpRouter, events: EventStream): HttpRouter {
  const indexHtml = readFileSync(path.join(PUBLIC, 'index.html'));
  const hlsJs = readFileSync(require.resolve('hls.js/dist/hls.min.js'));
  const mpegtsJs = readFileSync(require.resolve('mpegts.js/dist/mpegts.js'));
  router.on('GET', '/', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' });
    res.end(indexHtml);
  });
  // The page's own script and style, read once (the page is served from the project, no CDN).
  for (const [file, type] of [['console.js', 'text/javascript'], ['console-players.js', 'text/javascript'], ['console-talk.js', 'text/javascript'], ['console.css', 'text/css']] as const) {
    const body = readFileSync(path.join(PUBLIC, file));
    router.on('GET', `/${file}`, (_req, res) => {
      res.writeHead(200, { 'Content-Type': `${type}; charset=utf-8`, 'Cache-Control': 'no-cache' });
      res.end(body);
    });
  }
  return router
    .on('GET', '/vendor/hls.min.js', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=86400' });
      res.end(hlsJs);
    })
    .on('GET', '/vendor/mpegts.js', (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', 'Cache-Control': 'public, max-age=86400' });
      res.end(mpegtsJs);
    })
    .on('GET', '/api/v1/events', (req, res) => events.attach(req, res));
}
