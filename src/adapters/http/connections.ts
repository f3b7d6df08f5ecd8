import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  constants as http2,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
  type ServerHttp2Stream,
} from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { ServerConfig } from '../../policy/config.js';

/** The server's limits in milliseconds, from the config's `server:` section. */
export interface ServerLimits {
  /** Headers and body of one HTTP/1.1 request or HTTP/2 stream, and the TLS handshake. */
  readonly requestTimeoutMs: number;
  /** A connection or HTTP/2 session without traffic. */
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  /**
   * HTTP/2 sessions get a GOAWAY after this, HTTP/1.1 keep-alives a `Connection: close` on their
   * next answer (± 10 % so clients do not reconnect together).
   */
  readonly maxSessionAgeMs: number;
}

/** Limits from the config. */
export function serverLimits(config: ServerConfig): ServerLimits {
  return {
    requestTimeoutMs: config.requestTimeoutSeconds * 1000,
    idleTimeoutMs: config.idleTimeoutSeconds * 1000,
    maxConnections: config.maxConnections,
    maxSessionAgeMs: config.maxSessionAgeSeconds * 1000,
  };
}

/** How often Node checks HTTP/1.1 connections for the headers and request timeouts (its default is 30 s). */
const CONNECTION_CHECK_INTERVAL_MS = 1000;

/** Open connections right now, for tests and the shutdown log line. */
export interface ConnectionCounts {
  readonly sessions: number;
  readonly http1: number;
  readonly http1Busy: number;
}

/**
 * What the server knows about its connections: HTTP/2 sessions and HTTP/1.1 sockets, which are
 * busy, and whether the process is draining (SIGTERM received) or closing (drain over).
 */
export interface ConnectionGuard {
  /** True from SIGTERM on: /readyz fails, admissions are still answered. */
  readonly draining: boolean;
  beginDrain(): void;
  /**
   * The end of the drain: GOAWAY to every HTTP/2 session (in-flight streams finish), idle
   * HTTP/1.1 keep-alives closed, busy ones closed after their response.
   */
  closeConnections(): void;
  /** Last resort at the shutdown deadline: every connection destroyed. */
  destroyAll(): void;
  counts(): ConnectionCounts;
}

type AnyRequest = IncomingMessage | Http2ServerRequest;
type AnyResponse = ServerResponse | Http2ServerResponse;

/** How long a client gets to see the shutdown notice when it does not answer the PING sooner. */
const GOAWAY_NOTICE_MS = 1000;

/**
 * A graceful GOAWAY: first the shutdown notice (last stream id 2^31-1, so nothing in flight is
 * refused), then, once a PING round trip shows the client has seen it (or after a second), the
 * GOAWAY naming the last stream the server took; session.close() lets those finish (RFC 9113
 * §6.8). Clients open a new connection for what comes next: through the Service, elsewhere.
 */
export function goAway(session: Http2Session): void {
  if (session.closed || session.destroyed) return;
  const close = (): void => {
    clearTimeout(fallback);
    if (!session.closed && !session.destroyed) session.close();
  };
  // Node's own client closes its side on the notice instead of answering the PING.
  const fallback = setTimeout(close, GOAWAY_NOTICE_MS);
  fallback.unref();
  try {
    session.goaway(http2.NGHTTP2_NO_ERROR, 2 ** 31 - 1);
    if (!session.ping(close)) close();
  } catch {
    close();
  }
}

/**
 * Applies the limits to the server and tracks its connections. Node enforces the HTTP/1.1
 * headers and request timeouts itself (answering 408); HTTP/2 streams get a timer each, since
 * Node has no request timeout for them (a stream with an unfinished body held its memory for
 * good). Idle HTTP/2 sessions are closed by Fastify's session timeout, given idleTimeoutMs.
 */
export function guardConnections(server: Http2SecureServer, limits: ServerLimits): ConnectionGuard {
  const sessions = new Set<Http2Session>();
  const sockets = new Set<TLSSocket>();
  const busy = new Map<TLSSocket, Set<AnyResponse>>();
  let draining = false;
  let closing = false;

  // Node's HTTP/1.1 side of an allowHTTP1 server reads these (headersTimeout ≤ requestTimeout).
  const http1 = server as unknown as {
    headersTimeout: number;
    requestTimeout: number;
    keepAliveTimeout: number;
    connectionsCheckingInterval: number;
    closeIdleConnections?: () => void;
  };
  http1.requestTimeout = limits.requestTimeoutMs;
  http1.headersTimeout = limits.requestTimeoutMs;
  http1.keepAliveTimeout = limits.idleTimeoutMs;
  http1.connectionsCheckingInterval = CONNECTION_CHECK_INTERVAL_MS;
  server.maxConnections = limits.maxConnections;

  const retireAt = new WeakMap<TLSSocket, number>();
  const age = (): number => limits.maxSessionAgeMs * (0.9 + Math.random() * 0.2);

  server.on('secureConnection', (socket: TLSSocket) => {
    if (socket.alpnProtocol === 'h2') return;
    sockets.add(socket);
    retireAt.set(socket, Date.now() + age());
    socket.once('close', () => {
      sockets.delete(socket);
      busy.delete(socket);
    });
  });

  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    const timer = setTimeout(() => goAway(session), age());
    timer.unref();
    session.once('close', () => {
      clearTimeout(timer);
      sessions.delete(session);
    });
    if (closing) goAway(session);
  });

  server.on('stream', (stream: ServerHttp2Stream) => {
    const timer = setTimeout(() => {
      // Still receiving after the limit: a slow or unfinished body. RST_STREAM frees it.
      if (!stream.destroyed && !stream.endAfterHeaders && !stream.readableEnded) {
        stream.close(http2.NGHTTP2_CANCEL);
      }
    }, limits.requestTimeoutMs);
    timer.unref();
    stream.once('close', () => clearTimeout(timer));
  });

  server.on('request', (request: AnyRequest, response: AnyResponse) => {
    if (request.httpVersionMajor >= 2) return;
    const socket = request.socket as TLSSocket;
    let active = busy.get(socket);
    if (active === undefined) {
      active = new Set();
      busy.set(socket, active);
    }
    active.add(response);
    // From SIGTERM on, every HTTP/1.1 answer closes its connection: the client's next request
    // opens a new one through the Service, and no keep-alive is left for the close at the end
    // of the drain to race with (a request sent on a connection the server is closing fails,
    // and Go's client does not retry a POST).
    // Past its maximum age a keep-alive closes after this answer (HTTP/1.1's GOAWAY): the API
    // server (1.20 talks HTTP/1.1 to webhooks) reconnects through the Service, so a replica that
    // restarted gets its share of the load back.
    const retiring = (retireAt.get(socket) ?? Infinity) <= Date.now();
    if (draining || closing || retiring) (response as ServerResponse).shouldKeepAlive = false;
    response.once('close', () => {
      active.delete(response);
      if (closing && active.size === 0) socket.end();
    });
  });

  return {
    get draining() {
      return draining;
    },
    beginDrain() {
      draining = true;
    },
    closeConnections() {
      closing = true;
      for (const session of sessions) goAway(session);
      for (const socket of sockets) {
        const active = busy.get(socket);
        if (active === undefined || active.size === 0) socket.end();
        // Answers not yet started carry `Connection: close`; the socket ends after the last one.
        else for (const response of active) (response as ServerResponse).shouldKeepAlive = false;
      }
    },
    destroyAll() {
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
    },
    counts() {
      let http1Busy = 0;
      for (const socket of sockets) if ((busy.get(socket)?.size ?? 0) > 0) http1Busy += 1;
      return { sessions: sessions.size, http1: sockets.size, http1Busy };
    },
  };
}
