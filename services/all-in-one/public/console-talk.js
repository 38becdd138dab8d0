'use strict';
/* exported Talk, talkAudioEvent */
// Talk: microphone → WebRTC → intercom (the m7s-jt1078 request), on a leased audio port. The
// states are what really happened: the lease taken, then waiting for the device (which must be
// sent the 0x9101 body), the device connected (its audio join event), the audio level both
// ways, and the end with its reason (hung up, or the device's leave event and its `err`).

/** A JSON request that never throws for an HTTP status: {status, data, headers}. */
async function request(method, url, body) {
  let res;
  try {
    res = await fetch(url, { method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  } catch (err) {
    throw new Error(`the server cannot be reached (${err.message}).`, { cause: err });
  }
  const text = await res.text();
  let data;
  try { data = text ? JSON.parse(text) : {}; } catch { data = { error: text }; }
  return { status: res.status, data, headers: res.headers };
}

/** A request whose failure ends the talk, with what to do about it. */
async function api(method, url, body) {
  const r = await request(method, url, body);
  if (r.status < 300) return r;
  const why = r.data.error || `HTTP ${r.status}`;
  if (r.status === 404 || r.status === 405) throw new Error('this server runs no intercom (turn on jt1078.intercom.enable, or open the console of a server that runs it).');
  if (r.status === 401 || r.status === 403) throw new Error(`the intercom refused the request (${why}): it needs the jt1078.intercom.token.`);
  if (r.status === 409) throw new Error(`no free audio port (${why}). End another talk, or widen jt1078.intercom.audio_ports.`);
  if (r.status === 503) throw new Error(`the intercom is busy (${why}). Try again in a few seconds.`);
  throw new Error(`${method} ${url} answered ${r.status}: ${why}`);
}

function microphoneProblem(err) {
  switch (err && err.name) {
    case 'NotAllowedError':
    case 'SecurityError':
      return 'microphone permission denied. Allow the microphone for this site (the icon in the address bar, or the browser\'s site settings) and press Talk again.';
    case 'NotFoundError':
    case 'OverconstrainedError':
      return 'no microphone found. Connect one and press Talk again.';
    case 'NotReadableError':
    case 'AbortError':
      return 'the microphone is in use by another application, or the system blocked it.';
    default:
      return `the microphone could not be opened (${err && err.message ? err.message : err}).`;
  }
}

/** The intercom answers in one go (no trickle ICE): send the offer once its candidates are in it. */
function iceGathered(pc, timeoutMs) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => { clearTimeout(timer); pc.removeEventListener('icegatheringstatechange', check); resolve(); };
    const check = () => pc.iceGatheringState === 'complete' && done();
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', check);
  });
}

/** Talks in progress, by leased port: the event feed's audio join/leave find theirs here. */
const talksByPort = new Map();

/** One talk with the vehicle of stream `s`; `ui` holds the tile's talk elements. */
function Talk(s, ui) {
  this.s = s;
  this.ui = ui;
  this.state = 'idle';
  this.ended = true;
  this.link = '';
  this.pc = this.media = this.port = this.token = this.session = this.audio = this.levelTimer = null;
}

Talk.prototype.show = function (state, message, detail) {
  this.state = state;
  const { button, stateEl, detailEl, levels } = this.ui;
  stateEl.dataset.state = state;
  stateEl.textContent = message ? `${state === 'idle' ? '' : `${state}: `}${message}` : state;
  if (detail !== undefined) detailEl.replaceChildren(...(Array.isArray(detail) ? detail : [detail]).filter(Boolean));
  detailEl.hidden = !detailEl.childNodes.length;
  levels.hidden = state !== 'connected';
  button.textContent = this.ended ? 'Talk' : 'Hang up';
  button.classList.toggle('hangup', !this.ended);
};

Talk.prototype.toggle = function () {
  return this.ended ? this.start() : this.hangUp('hung up in the console');
};

Talk.prototype.start = async function () {
  const s = this.s;
  this.ended = false;
  this.link = '';
  this.show('connecting', 'asking for the microphone…', []);
  try {
    if (!window.isSecureContext || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      throw new Error('the microphone needs a secure page: open the console over https://, or on this machine at http://127.0.0.1.');
    }
    try {
      this.media = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (err) {
      throw new Error(microphoneProblem(err), { cause: err });
    }
    if (this.ended) return this.release();
    this.show('connecting', 'leasing an audio port…');
    const lease = (await api('POST', '/api/v1/intercom/leases', { sim: s.sim, channel: s.channel })).data;
    this.port = lease.port;
    this.token = lease.token;
    talksByPort.set(this.port, this);
    if (this.ended) return this.release();
    this.waiting(lease);
    await this.connectBrowser();
  } catch (err) {
    if (!this.ended) await this.hangUp(err.message, 'error');
  }
};

/** The lease is taken; nothing happens until the device is told, by the 0x9101 the platform sends. */
Talk.prototype.waiting = function (lease) {
  const hex = lease.command9101 && lease.command9101.binary;
  const line = document.createElement('span');
  line.textContent = `Port ${lease.port} leased for SIM ${lease.sim} channel ${lease.channel}. The vehicle connects once your JT808 platform sends it 0x9101 with this body (server ${lease.address}):`;
  const code = Object.assign(document.createElement('code'), { className: 'command9101', textContent: hex || '(no body returned)' });
  this.show('waiting', `waiting for the device on audio port ${lease.port}`, [line, document.createElement('br'), code]);
};

Talk.prototype.connectBrowser = async function () {
  const s = this.s;
  const pc = (this.pc = new RTCPeerConnection());
  pc.onconnectionstatechange = () => {
    if (this.ended) return;
    if (pc.connectionState === 'failed') this.hangUp('the browser could not reach the intercom over WebRTC (a firewall in front of its UDP ports?)', 'error');
    this.link = pc.connectionState;
    this.ui.linkEl.textContent = `browser ↔ intercom: ${pc.connectionState}`;
  };
  pc.ontrack = (e) => {
    this.audio = this.audio || Object.assign(document.createElement('audio'), { autoplay: true });
    this.audio.srcObject = e.streams[0] || new MediaStream([e.track]);
  };
  for (const track of this.media.getAudioTracks()) pc.addTrack(track, this.media);
  await pc.setLocalDescription(await pc.createOffer());
  await iceGathered(pc, 3000);
  if (this.ended) return this.release();
  const offer = await api('POST', '/api/v1/intercom', {
    type: 'offer',
    sdp: pc.localDescription.sdp,
    group: [{ sim: s.sim, channel: s.channel, audioPort: this.port }],
    enterAudioEncoding: 6, // G.711A (JT/T 1078 table 12), m7s-jt1078's default
  });
  this.session = offer.headers.get('Location');
  if (this.ended) return this.release();
  await pc.setRemoteDescription({ type: offer.data.type || 'answer', sdp: offer.data.sdp });
};

/** The device connected to the leased port (its audio join event). */
Talk.prototype.deviceJoined = function (body) {
  if (this.ended) return;
  this.show('connected', `device connected from ${body.address || 'the vehicle'} on port ${this.port}`, []);
  clearInterval(this.levelTimer);
  this.levelTimer = setInterval(() => this.measure(), 300);
};

/** Audio level both ways, from the peer connection's own statistics (0..1). */
Talk.prototype.measure = async function () {
  if (!this.pc) return;
  let out = 0;
  let inb = 0;
  (await this.pc.getStats()).forEach((r) => {
    if (r.type === 'media-source' && r.kind === 'audio' && typeof r.audioLevel === 'number') out = r.audioLevel;
    if (r.type === 'inbound-rtp' && r.kind === 'audio' && typeof r.audioLevel === 'number') inb = r.audioLevel;
  });
  this.ui.meterOut.value = out;
  this.ui.meterIn.value = inb;
  this.ui.meterOut.dataset.level = String(out);
  this.ui.meterIn.dataset.level = String(inb);
};

/**
 * Closes what a talk holds: the session on the server (before the connection, so it is not gone
 * already), the microphone, and the lease, unless the intercom freed it itself (the device left).
 */
Talk.prototype.release = async function (reason = 'hung up in the console', leaseGone = false) {
  clearInterval(this.levelTimer);
  const { port, token, session, pc } = this;
  this.pc = this.port = this.session = null;
  if (session) await request('DELETE', session);
  if (pc) pc.close();
  if (this.media) for (const track of this.media.getTracks()) track.stop();
  this.media = null;
  if (this.audio) this.audio.srcObject = null;
  if (port !== null) talksByPort.delete(port);
  if (port !== null && !leaseGone) {
    const r = await request('DELETE', `/api/v1/intercom/leases/${port}?token=${token}&reason=${encodeURIComponent(reason)}`);
    if (r.status >= 300 && r.status !== 404) throw new Error(r.data.error || `HTTP ${r.status}`);
  }
};

Talk.prototype.hangUp = async function (reason, state = 'ended', leaseGone = false) {
  if (this.ended) return;
  this.ended = true;
  this.ui.linkEl.textContent = '';
  this.show(state, reason, []);
  try {
    await this.release(reason, leaseGone);
  } catch (err) {
    this.show('error', `${reason}; the port lease was not freed (${err.message}) and expires by itself.`);
  }
};

/** An audio event from the feed: the device of a talk in progress joined or left. */
function talkAudioEvent(e) {
  const b = e.body || {};
  const talk = talksByPort.get(Number(b.port));
  if (!talk) return;
  if (e.action === 'join') talk.deviceJoined(b);
  // The intercom frees the port itself when its device leaves.
  else talk.hangUp(`the device left${b.err ? ` (${b.err})` : ''}`, 'ended', true);
}
