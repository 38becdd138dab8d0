// The public surface: what the CLI, other services, the benchmarks (bench/) and the tests use; the rest is internal.
export { startIntercom, type RunningIntercom, type StartIntercomOptions } from './start-intercom.js';
export { startTalkService, type TalkServiceDeps } from './start-talk-service.js';
export { AudioPortInUse } from './audio-port-server.js';
export { intercomCommand } from './intercom-command.js';
// A browser's side of a WebRTC talk in werift, for the benchmarks that need many peers.
export { WebRtcTalkClient, type WebRtcTalkClientOptions } from './webrtc-talk-client.js';
export { intercomOptions, type IntercomOptions, type RunningTalkService } from './start-talk-service.js';
