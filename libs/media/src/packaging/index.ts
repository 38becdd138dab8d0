export * from './media-frame-packager.js';
