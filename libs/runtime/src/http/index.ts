export { HttpRouter, HttpError, sendJson, sendError, readJsonBody, echoValue, MAX_JSON_BODY_BYTES, MAX_ECHO_CHARS } from './http-router.js';
export type { RouteHandler, RouteParams } from './http-router.js';
export { addOpsRoutes } from './ops-routes.js';
export { serveRouter } from './serve-router.js';
export { applyApiCors, API_CORS_HEADERS } from './api-cors.js';
