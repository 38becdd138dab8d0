export { configSchema, type Config, type StreamEndpointConfig, type IntercomConfig, type AudioConfig } from './config-schema.js';
export { audioOptionsFor, type DeviceAudioOptions } from './audio-options.js';
export { parseConfig, loadConfig, envVariableFor, ConfigError, type LoadedConfig } from './config-loader.js';
export { parseHostPort, formatHostPort, HostPortError, HostPortFault, type HostPort } from './host-port.js';
