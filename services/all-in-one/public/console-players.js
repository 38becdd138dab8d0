'use strict';
// The console's three players behind one shape, so a tile does not care which plays it:
//   LL-HLS (hls.js, low-latency mode), WHEP (WebRTC, sub-second), HTTP-FLV (mpegts.js, the FLV
//   player of the JT1078 world). Each: stop(), latency() in seconds (undefined until known),
//   codecs (a label), and kbps() over the last seconds.

/** Bytes seen in the last 5 s, for a bit rate. */
function rateMeter() {
  const seen = [];
  return {
    add(bytes) { seen.push({ at: performance.now(), bytes }); },
    kbps() {
      const now = performance.now();
      while (seen.length && now - seen[0].at > 5000) seen.shift();
      return seen.reduce((n, x) => n + x.bytes, 0) * 8 / 5 / 1000;
    },
  };
}

function hlsPlayer(video, streamPath, viewer) {
  const src = `/hls/${streamPath}/index.m3u8?viewer=${viewer}`;
  const rate = rateMeter();
  const p = { codecs: '', kbps: () => rate.kbps(), latency: () => undefined, stop() {} };
  if (window.Hls && Hls.isSupported()) {
    // Low-latency mode follows PART-HOLD-BACK; catch up after a stall by playing up to 1.5×.
    const hls = new Hls({ lowLatencyMode: true, maxLiveSyncPlaybackRate: 1.5 });
    hls.on(Hls.Events.FRAG_LOADED, (_e, d) => rate.add(d.frag.stats.total || (d.payload && d.payload.byteLength) || 0));
    // A media playlist names no codecs; hls.js learns them from the init segment.
    hls.on(Hls.Events.BUFFER_CODECS, (_e, d) => { p.codecs = [d.audiovideo && d.audiovideo.codec, d.video && d.video.codec, d.audio && d.audio.codec].filter(Boolean).join(', '); });
    hls.loadSource(src);
    hls.attachMedia(video);
    p.latency = () => hls.latency || undefined;
    p.stop = () => hls.destroy();
  } else {
    video.src = src; // Safari on iPhone plays HLS natively
  }
  return p;
}

function whepPlayer(video, streamPath, _viewer, onError) {
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  const media = new MediaStream();
  pc.ontrack = (e) => {
    media.addTrack(e.track);
    video.srcObject = media;
    video.play().catch(() => {});
  };
  let location;
  let latency;
  let lastBytes = 0;
  const rate = rateMeter();
  const p = { codecs: '', kbps: () => rate.kbps(), latency: () => latency, stop };
  // Latency as WebRTC sees it: the jitter buffer's average delay plus half the round trip.
  const poll = setInterval(async () => {
    const stats = await pc.getStats();
    let rtt = 0;
    const codecs = new Map();
    stats.forEach((s) => {
      if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime) rtt = s.currentRoundTripTime;
      if (s.type === 'codec') codecs.set(s.id, s.mimeType.split('/')[1]);
    });
    const names = [];
    stats.forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      names.push(codecs.get(s.codecId));
      if (s.kind !== 'video') return;
      if (s.jitterBufferEmittedCount) latency = s.jitterBufferDelay / s.jitterBufferEmittedCount + rtt / 2;
      rate.add(s.bytesReceived - lastBytes);
      lastBytes = s.bytesReceived;
    });
    p.codecs = names.filter(Boolean).join(', ');
  }, 1000);
  (async () => {
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((r) => { setTimeout(r, 1500); pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); });
    const res = await fetch(`/whep/${streamPath}`, { method: 'POST', headers: { 'Content-Type': 'application/sdp' }, body: pc.localDescription.sdp });
    if (res.status !== 201) throw new Error(((await res.json().catch(() => ({}))).error) || `WHEP answered ${res.status}`);
    location = res.headers.get('Location');
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  })().catch((err) => onError(`WHEP: ${err.message}`));
  function stop() {
    clearInterval(poll);
    if (location) fetch(location, { method: 'DELETE' }).catch(() => {});
    pc.close();
    video.srcObject = null;
  }
  return p;
}

function flvPlayer(video, streamPath, _viewer, onError, codecs) {
  const rate = rateMeter();
  // MSE has no G.711: mpegts.js takes the audio only when it is AAC.
  const hasAudio = (codecs || []).some((c) => /aac|mp4a/.test(c));
  const player = mpegts.createPlayer({ type: 'flv', isLive: true, hasAudio, url: `${location.origin}/flv/${streamPath}.flv` }, { enableStashBuffer: false, liveBufferLatencyChasing: true });
  const p = { codecs: 'flv', kbps: () => rate.kbps(), latency: () => undefined, stop: () => player.destroy() };
  player.on(mpegts.Events.STATISTICS_INFO, (i) => rate.add((i.speed || 0) * 1024));
  player.on(mpegts.Events.MEDIA_INFO, (i) => { p.codecs = [i.videoCodec, i.audioCodec].filter(Boolean).join(', '); });
  player.on(mpegts.Events.ERROR, (type, detail) => onError(`FLV: ${type} ${detail}`));
  player.attachMediaElement(video);
  player.load();
  // How far playback is behind what has arrived: the live edge lag.
  p.latency = () => (video.buffered.length ? video.buffered.end(video.buffered.length - 1) - video.currentTime : undefined);
  return p;
}

/** The player of `kind` ('hls' | 'whep' | 'flv') for one tile. */
function createPlayer(kind, video, streamPath, viewer, onError, codecs) {
  if (kind === 'whep') return whepPlayer(video, streamPath, viewer, onError);
  if (kind === 'flv' && window.mpegts && mpegts.isSupported()) return flvPlayer(video, streamPath, viewer, onError, codecs);
  return hlsPlayer(video, streamPath, viewer);
}
