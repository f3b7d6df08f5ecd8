import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Node's own answers on the HTTP/1.1 side, before a request reaches a route: a request whose
 * headers and body did not arrive within `server.requestTimeoutSeconds` (408), headers over
 * Node's limit (431), or bytes that are not HTTP (400). Fastify's default wrote them without a
 * `code`; here they are the JSON error every other 4xx is (`statusCode`, `code`, `message`), so a
 * client reads one shape, found by `npm run fuzz` (a body that arrived too slowly on a loaded
 * machine got a 408 its oracle could not read).
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  // Only an HTTP/1.1 parser or timeout error has an HTTP client to answer. The HTTP/2 server
  // passes TLS errors here too (a handshake that never came): those sockets just close.
  const http = error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code?.startsWith('HPE_') === true;
  if (!http || !socket.writable || socket.writableLength > 0) {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'ZT_ERR_REQUEST_TIMEOUT', 'the request did not arrive within server.requestTimeoutSeconds']
      : error.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'ZT_ERR_HEADERS_TOO_LARGE', 'the request headers are too large']
        : [400, 'ZT_ERR_BAD_REQUEST', 'the request is not valid HTTP/1.1'];
  const reason = STATUS_CODES[status] ?? 'Error';
  const body = JSON.stringify({ statusCode: status, code, error: reason, message });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
