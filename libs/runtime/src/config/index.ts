export { configSchema, type Config, type StreamEndpointConfig, type IntercomConfig } from './config-schema.js';
export { parseConfig, loadConfig, ConfigError, type LoadedConfig } from './config-loader.js';
