// Loaded into configurable-http-proxy (NODE_OPTIONS=--require, haven_hub.proxy_errors.launch).
// When a target does not answer, the proxy sends 503 with the hub's error page but passes on
// only that page's content type, never its Retry-After: this adds one to every 503 that has
// none, so browsers and scripts know when to try again. A 503 from the target itself keeps
// its own Retry-After (headers set before writeHead are seen here).
"use strict";
const http = require("http");

const RETRY_AFTER_SECONDS = "60"; // haven_hub.proxy_errors.RETRY_AFTER_SECONDS
const writeHead = http.ServerResponse.prototype.writeHead;

http.ServerResponse.prototype.writeHead = function (statusCode, ...rest) {
  if (statusCode === 503 && !this.headersSent && !this.hasHeader("retry-after")) {
    this.setHeader("Retry-After", RETRY_AFTER_SECONDS);
  }
  return writeHead.call(this, statusCode, ...rest);
};
