export { AAC_SAMPLE_RATES, AdtsError, parseAdts, writeAdts, type AdtsFrame } from './adts.js';
export { audioSpecificConfig } from './audio-specific-config.js';
