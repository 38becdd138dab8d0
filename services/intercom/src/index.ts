export * from './start-intercom.js';
export * from './start-talk-service.js';
export * from './audio-port-map.js';
export * from './audio-port-server.js';
export * from './talk-connection.js';
export * from './talk-packetizer.js';
export * from './talk-uplink.js';
export * from './device-write-queue.js';
export * from './lease-routes.js';
export * from './lease-request.js';
export * from './bearer-token.js';
export * from './jt808-gateway.js';
export * from './talk-event-id.js';
export * from './intercom-metrics.js';
export { intercomCommand } from './intercom-command.js';
export * from './simulated-talk-device.js';
// The WebRTC bridge (its own files), for the compositions that serve it (`jt1078 start`).
export { addWebRtcRoutes, type WebRtcRouteDeps } from './webrtc-routes.js';
export type { WebRtcIntercom } from './webrtc-intercom.js';
