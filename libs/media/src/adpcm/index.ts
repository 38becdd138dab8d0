export { AdpcmError } from './adpcm-error.js';
export { stripHisiliconHeader } from './hisilicon-header.js';
export { decodeDvi4, decodeDvi4Block, dvi4BlockState, type AdpcmByteOrder } from './dvi4-decoder.js';
export { Dvi4Encoder } from './dvi4-encoder.js';
