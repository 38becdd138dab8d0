'use strict';
// The fleet console: vehicles grouped by SIM, their channels as a grid of players (several play
// at once), live stats per stream from /api/v1/streams, a search box, an "ended" state when a
// stream leaves, and the join/leave feed. Talk lives in console-talk.js.
const $ = (id) => document.getElementById(id);
const el = (tag, props = {}, ...children) => Object.assign(document.createElement(tag), props).appendChildren(children);
Element.prototype.appendChildren = function (children) { this.append(...children.filter((c) => c !== null && c !== undefined)); return this; };

/** Tells this page's players apart in the packager's viewer count. */
const PAGE_ID = Math.random().toString(36).slice(2, 10);
/** An ended tile stays this long (or until the stream comes back), so the operator sees what left. */
const ENDED_KEEP_MS = 10 * 60_000;
/** No frame for this long: the stats say the stream is stalled. */
const STALE_MS = 8000;
/** What a tile that is not playing says over its (black) picture. */
const IDLE = 'not playing: press ▶ (or Play all)';

const vehiclesEl = $('vehicles');
/** Which player every tile uses: LL-HLS, WHEP or HTTP-FLV (console-players.js); remembered. */
const protocol = $('protocol');
const PROTOCOL_NAMES = { hls: 'LL-HLS', whep: 'WHEP', flv: 'HTTP-FLV' };
protocol.value = localStorage.getItem('jt1078.protocol') || 'hls';
protocol.onchange = () => {
  localStorage.setItem('jt1078.protocol', protocol.value);
  for (const t of tiles.values()) if (t.player) start(t);
};
const search = $('search');
const summary = $('summary');
const vehicles = new Map(); // sim → {section, list, count, playAll}
const tiles = new Map(); // streamPath → tile
let userPlayed = false;

// ---- a tile: one channel of one vehicle, with its own player

function createTile(s) {
  const video = el('video', { muted: true, playsInline: true, controls: false });
  const overlay = el('p', { className: 'overlay', textContent: IDLE });
  const icon = el('span', { className: 'icon', textContent: '▶', ariaHidden: 'true' });
  const pathText = el('span', { className: 'path', textContent: s.streamPath });
  const badge = el('span', { className: 'state-badge live', textContent: 'live' });
  const play = el('button', { className: 'play', type: 'button' }, icon, pathText, badge);
  play.setAttribute('aria-pressed', 'false');
  const stats = el('p', { className: 'stats' });
  const playback = el('p', { className: 'playback', hidden: true });
  const talkButton = el('button', { type: 'button', textContent: 'Talk' });
  const stateEl = el('span', { className: 'talk-state', role: 'status' });
  const detailEl = el('p', { className: 'talk-detail', hidden: true });
  const linkEl = el('span', { className: 'talk-link muted' });
  const meterOut = el('meter', { className: 'level-out', min: 0, max: 1, value: 0 });
  const meterIn = el('meter', { className: 'level-in', min: 0, max: 1, value: 0 });
  const levels = el('div', { className: 'levels', hidden: true }, el('span', { textContent: 'you → vehicle' }), meterOut, el('span', { textContent: 'vehicle → you' }), meterIn);
  const li = el('li', { className: 'stream' },
    el('div', { className: 'screen' }, video, overlay),
    el('div', { className: 'tile-body' }, play, stats, playback,
      el('div', { className: 'talk' }, talkButton, stateEl, linkEl, levels, detailEl)));
  li.dataset.stream = s.streamPath;
  const t = { s, li, video, overlay, play, icon, badge, stats, playback, player: null, protocol: 'hls', ended: false, endedAt: 0, listedAt: 0, lastFrameAgeMs: undefined };
  t.talk = new Talk(s, { button: talkButton, stateEl, detailEl, linkEl, levels, meterOut, meterIn });
  play.onclick = () => {
    userPlayed = true;
    if (t.li.classList.contains('playing')) stop(t);
    else start(t);
  };
  talkButton.onclick = () => t.talk.toggle();
  return t;
}

function fitVideo(t, width, height) {
  if (width > 0 && height > 0) t.video.style.aspectRatio = `${width} / ${height}`;
}

function start(t) {
  if (t.ended) return;
  stop(t);
  t.protocol = protocol.value;
  t.player = createPlayer(t.protocol, t.video, t.s.streamPath, `${PAGE_ID}-${encodeURIComponent(t.s.streamPath)}`, (why) => { t.overlay.textContent = why; }, t.s.codecs);
  t.video.onloadedmetadata = () => fitVideo(t, t.video.videoWidth, t.video.videoHeight);
  t.video.controls = true;
  t.video.play().catch(() => {});
  t.li.classList.add('playing');
  t.play.setAttribute('aria-pressed', 'true');
  t.icon.textContent = '■';
  t.playback.hidden = false;
  t.overlay.textContent = 'loading…';
}

function stop(t) {
  if (t.player) t.player.stop();
  t.player = null;
  t.video.removeAttribute('src');
  t.video.load();
  t.video.controls = false;
  t.li.classList.remove('playing');
  t.play.setAttribute('aria-pressed', 'false');
  t.icon.textContent = '▶';
  t.playback.hidden = true;
  if (!t.ended) t.overlay.textContent = IDLE;
}

/** The stream left: the player stops (no frozen picture shown as live) and says so. */
function end(t, why) {
  if (t.ended) return;
  stop(t);
  t.ended = true;
  t.endedAt = Date.now();
  t.li.classList.add('ended');
  t.badge.className = 'state-badge ended';
  t.badge.textContent = 'ended';
  t.play.disabled = true;
  t.overlay.textContent = `Stream ended at ${new Date().toLocaleTimeString([], { hour12: false })}: ${why}`;
  t.stats.textContent = `ended · ${why}`;
  if (!t.talk.ended) t.talk.hangUp('the stream ended');
  showCounts();
}

function revive(t) {
  t.ended = false;
  t.li.classList.remove('ended');
  t.badge.className = 'state-badge live';
  t.badge.textContent = 'live';
  t.play.disabled = false;
  t.overlay.textContent = IDLE;
}

// ---- stats: from the list (any pod, before the stream is opened), and from the player when playing

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

function showStats(t) {
  if (t.ended) return;
  const s = t.s;
  const age = t.lastFrameAgeMs === undefined ? undefined : t.lastFrameAgeMs + (performance.now() - t.listedAt);
  const parts = [
    (s.codecs && s.codecs.length ? s.codecs.join(', ') : 'codec ?'),
    s.width ? `${s.width}×${s.height}` : null,
    s.kbps !== undefined ? `${s.kbps} kbit/s` : null,
    s.fps !== undefined ? `${s.fps} fps` : null,
    age !== undefined ? `last frame ${(age / 1000).toFixed(1)} s ago` : null,
    plural(s.viewers || 0, 'viewer'),
    plural(s.drops || 0, 'drop'),
  ].filter(Boolean);
  t.stats.replaceChildren(document.createTextNode(parts.join(' · ')));
  if (age !== undefined && age > STALE_MS) t.stats.append(' · ', el('span', { className: 'stale', textContent: 'no frames: stalled' }));
  if (t.player) {
    const latency = t.player.latency();
    const shown = latency === undefined ? 'n/a' : latency < 1 ? `${(latency * 1000).toFixed(0)} ms` : `${latency.toFixed(2)} s`;
    t.playback.textContent = `${PROTOCOL_NAMES[t.protocol]}: playing ${t.player.codecs || '…'} ${t.video.videoWidth}×${t.video.videoHeight}, ${t.player.kbps().toFixed(0)} kbit/s, t=${t.video.currentTime.toFixed(1)} s, live latency ${shown}`;
    if (t.video.currentTime > 0) t.overlay.textContent = '';
  }
}
setInterval(() => { for (const t of tiles.values()) showStats(t); }, 500);

// ---- vehicles: grouped by SIM, channels in order

function vehicle(sim) {
  let v = vehicles.get(sim);
  if (v) return v;
  const list = el('ul', { className: 'channels' });
  const count = el('span', { className: 'count' });
  const playAll = el('button', { type: 'button', className: 'play-all', textContent: 'Play all' });
  const section = el('section', { className: 'vehicle' }, el('div', { className: 'vehicle-head' }, el('h3', { textContent: `SIM ${sim}` }), count, playAll), list);
  section.dataset.sim = sim;
  section.setAttribute('aria-label', `vehicle SIM ${sim}`);
  v = { sim, section, list, count, playAll };
  playAll.onclick = () => {
    userPlayed = true;
    for (const t of tiles.values()) if (t.s.sim === sim && !t.ended && !t.player) start(t);
  };
  vehicles.set(sim, v);
  return v;
}

function render(listed) {
  const now = performance.now();
  const live = new Set(listed.map((s) => s.streamPath));
  for (const s of listed) {
    let t = tiles.get(s.streamPath);
    if (!t) tiles.set(s.streamPath, (t = createTile(s)));
    if (t.ended) revive(t);
    Object.assign(t.s, s);
    t.listedAt = now;
    t.lastFrameAgeMs = s.lastFrameAgeMs;
    if (!t.video.videoWidth) fitVideo(t, s.width, s.height);
  }
  for (const t of tiles.values()) {
    if (!live.has(t.s.streamPath)) end(t, 'the device disconnected');
    if (t.ended && Date.now() - t.endedAt > ENDED_KEEP_MS) {
      t.li.remove();
      tiles.delete(t.s.streamPath);
    }
  }
  // Vehicles by SIM, channels by number; a tile is moved only when out of place (a playing video keeps playing).
  const bySim = [...tiles.values()].sort((a, b) => a.s.sim.localeCompare(b.s.sim) || a.s.channel - b.s.channel || a.s.streamPath.localeCompare(b.s.streamPath));
  const sims = [...new Set(bySim.map((t) => t.s.sim))];
  vehiclesEl.querySelector('.empty')?.remove();
  sims.forEach((sim, i) => {
    const v = vehicle(sim);
    if (vehiclesEl.children[i] !== v.section) vehiclesEl.insertBefore(v.section, vehiclesEl.children[i] || null);
    const mine = bySim.filter((t) => t.s.sim === sim);
    mine.forEach((t, j) => { if (v.list.children[j] !== t.li) v.list.insertBefore(t.li, v.list.children[j] || null); });
  });
  for (const [sim, v] of vehicles) if (!sims.includes(sim)) { v.section.remove(); vehicles.delete(sim); }
  if (!tiles.size) vehiclesEl.replaceChildren(el('p', { className: 'empty', textContent: 'No live streams. Point a device\'s 0x9101 at this server\'s realtime port, or run `jt1078 simulate`.' }));
  const liveTiles = showCounts();
  // One stream: nothing to choose, play it.
  if (!userPlayed && liveTiles.length === 1 && !liveTiles[0].player) start(liveTiles[0]);
  applySearch();
}

/** Channels live and ended per vehicle, and the summary; the live tiles. */
function showCounts() {
  for (const v of vehicles.values()) {
    const mine = [...tiles.values()].filter((t) => t.s.sim === v.sim);
    const liveCount = mine.filter((t) => !t.ended).length;
    v.count.textContent = `${plural(liveCount, 'channel')} live${mine.length > liveCount ? `, ${mine.length - liveCount} ended` : ''}`;
  }
  const liveTiles = [...tiles.values()].filter((t) => !t.ended);
  summary.textContent = `${plural(new Set(liveTiles.map((t) => t.s.sim)).size, 'vehicle')}, ${plural(liveTiles.length, 'stream')} live`;
  return liveTiles;
}

// ---- search: words match the SIM or stream name; "channel 2", "ch 2" or "ch2" picks a channel

function matches(t, q) {
  const channels = [];
  const rest = q.replace(/\b(?:channel|ch)\s*(\d+)\b/g, (_m, n) => { channels.push(Number(n)); return ' '; });
  if (channels.length && !channels.includes(t.s.channel)) return false;
  const text = `${t.s.sim} ${t.s.streamPath} ${t.ended ? 'ended' : 'live'}`.toLowerCase();
  return rest.split(/\s+/).filter(Boolean).every((w) => text.includes(w));
}

function applySearch() {
  const q = search.value.trim().toLowerCase();
  let shown = 0;
  for (const v of vehicles.values()) {
    let any = false;
    for (const li of v.list.children) {
      const t = tiles.get(li.dataset.stream);
      li.hidden = q !== '' && !(t && matches(t, q));
      any = any || !li.hidden;
      if (!li.hidden) shown++;
    }
    v.section.hidden = !any;
  }
  let none = $('no-match');
  if (q && !shown) {
    none = none || vehiclesEl.appendChild(el('p', { id: 'no-match', className: 'empty' }));
    none.textContent = `No stream matches "${search.value.trim()}".`;
  } else if (none) none.remove();
}
search.addEventListener('input', applySearch);

async function refresh() {
  try {
    const res = await fetch('/api/v1/streams');
    if (res.ok) render(await res.json());
  } catch {
    // the next poll tries again; the event feed's pill shows when the server is gone
  }
}
setInterval(refresh, 2000);
refresh();

// ---- event log: joins and leaves pushed with server-sent events, newest first, bounded

const MAX_EVENTS = 200;
const events = $('events');
const feedState = $('feed-state');
const seen = new Set();

function eventSubject(e) {
  const b = e.body || {};
  if (e.type === 'audio') return `port ${b.port ?? e.streamKey}${b.address ? ` · ${b.address}` : ''}${b.err ? ` · ${b.err}` : ''}`;
  return `${b.streamPath || e.streamKey}${b.endTime ? ` · until ${b.endTime}` : ''}`;
}

function addEvent(e) {
  if (seen.has(e.id)) return;
  seen.add(e.id);
  if (e.type === 'audio') talkAudioEvent(e);
  // A leave ends the tile at once (the list poll confirms it).
  const b = e.body || {};
  if (e.action === 'leave' && e.type !== 'audio' && tiles.has(b.streamPath) && Date.now() - e.occurredAt < 10_000) end(tiles.get(b.streamPath), 'the device disconnected');
  $('no-events')?.remove();
  const time = el('time', { dateTime: new Date(e.occurredAt).toISOString(), textContent: new Date(e.occurredAt).toLocaleTimeString([], { hour12: false }) });
  const li = el('li', { className: e.action }, time, el('span', { className: 'what', textContent: `${e.type} ${e.action}` }), el('span', { className: 'key', textContent: eventSubject(e) }));
  li.dataset.id = e.id;
  events.prepend(li);
  while (events.children.length > MAX_EVENTS) {
    seen.delete(events.lastElementChild.dataset.id);
    events.lastElementChild.remove();
  }
}

const feed = new EventSource('/api/v1/events');
feed.onopen = () => { feedState.textContent = 'events: live'; feedState.className = 'pill live'; };
feed.onerror = () => {
  const closed = feed.readyState === EventSource.CLOSED;
  feedState.textContent = closed ? 'events: unavailable (reload the page)' : 'events: reconnecting…';
  feedState.className = 'pill down';
};
feed.onmessage = (m) => {
  try { addEvent(JSON.parse(m.data)); } catch { /* not an event: ignore */ }
};
