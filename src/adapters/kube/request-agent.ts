import https from 'node:https';

/** A kept-alive socket unused this long is closed by ztgate, well before an API server's idle close. */
export const FREE_SOCKET_IDLE_MS = 30_000;

/**
 * Requests' connection pool. client-node's `applyToHTTPSOptions` gives every request an agent of
 * its own, so every list page, controller write and live read paid a TCP and TLS handshake (and a
 * secure context built from the CA's PEM), ztgate's CPU and the API server's: in cluster mode at
 * the benchmark's 1× that was most of start-up's own CPU besides parsing. This agent keeps sockets
 * alive between requests.
 *
 * It carries no TLS options of its own. Node's agent merges its options over a request's, and
 * keys its pool by the merged TLS material (CA, client certificate and key, server name,
 * verification): a request whose credentials rotated (a new client certificate from an exec
 * plugin, a new CA) gets a socket of its own, never one opened with the old material. Tokens are
 * headers, sent with every request. Proxies keep client-node's agent: it is the one that knows
 * how to reach the proxy.
 */
export function createRequestAgent(): https.Agent {
  return new https.Agent({
    keepAlive: true,
    scheduling: 'lifo',
    timeout: FREE_SOCKET_IDLE_MS,
    maxFreeSockets: 16,
  });
}

/** Puts `pooled` in place of client-node's one-request agent, when that is a plain HTTPS agent. */
export function usePooledAgent(options: https.RequestOptions, pooled: https.Agent): void {
  const given = options.agent;
  if (given instanceof https.Agent && Object.getPrototypeOf(given) === https.Agent.prototype) {
    options.agent = pooled;
  }
}

/** Errors of a request sent on a kept-alive socket the server had just closed: worth one retry. */
export function isStaleSocketError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'ECONNABORTED';
}
