export { configSchema, type Config, type StreamEndpointConfig, type IntercomConfig } from './config-schema.js';
export { parseConfig, loadConfig, envVariableFor, ConfigError, type LoadedConfig } from './config-loader.js';
