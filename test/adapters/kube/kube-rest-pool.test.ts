/**
 * The REST client's connection pool, against a loopback HTTPS server that counts its TLS
 * connections. client-node's applyToHTTPSOptions gives every request an https.Agent of its own,
 * so without the pool each list page, controller write and live read was a TCP and TLS handshake
 * of its own (this suite's first test counted 20 connections for 20 requests before the change).
 */
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import { createKubeRest } from '../../../src/adapters/kube/kube-rest.js';
import { createRequestAgent, usePooledAgent } from '../../../src/adapters/kube/request-agent.js';
import { closeServers, httpsServer, kubeConfigFor } from './rest-servers.js';

afterEach(closeServers);

/** A server answering `{"n": <request number>}`, counting TLS connections and requests per socket. */
async function countingServer(onRequest?: (served: number, socket: TLSSocket) => boolean) {
  const perSocket = new WeakMap<object, number>();
  let requests = 0;
  const started = await httpsServer((request, response) => {
    const socket = request.socket as TLSSocket;
    const served = (perSocket.get(socket) ?? 0) + 1;
    perSocket.set(socket, served);
    requests += 1;
    // The handler may drop the connection without a byte of an answer, as a server closing an idle one does.
    if (onRequest?.(served, socket) === false) {
      socket.destroy();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ n: requests }));
  });
  let connections = 0;
  started.server.on('secureConnection', () => (connections += 1));
  return { ...started, connections: () => connections, requests: () => requests };
}

describe('kube REST client connection pool', () => {
  it('sends sequential requests over one kept-alive TLS connection', async () => {
    const server = await countingServer();
    const rest = createKubeRest(kubeConfigFor(server.url, server.ca));
    for (let i = 0; i < 20; i += 1) await rest.request('GET', '/api/v1/namespaces');
    await rest.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'a' } } });
    expect(server.requests()).toBe(21);
    expect(server.connections()).toBe(1);
  });

  it('opens a connection per request in flight at once, and reuses them afterwards', async () => {
    const server = await countingServer();
    const rest = createKubeRest(kubeConfigFor(server.url, server.ca));
    for (let round = 0; round < 3; round += 1) {
      await Promise.all([1, 2, 3, 4].map(() => rest.request('GET', '/api/v1/pods')));
    }
    expect(server.requests()).toBe(12);
    expect(server.connections()).toBeLessThanOrEqual(4);
  });

  it('never sends a request over a connection opened with other TLS material (a rotated CA or client certificate)', async () => {
    const server = await countingServer();
    const kubeConfig = kubeConfigFor(server.url, server.ca);
    const rest = createKubeRest(kubeConfig);
    await rest.request('GET', '/api/v1/namespaces');
    // The same CA written differently is other material to Node's pool: a connection of its own.
    const rotated = kubeConfigFor(server.url, `${server.ca}\n`);
    kubeConfig.loadFromOptions({
      clusters: rotated.clusters,
      users: rotated.users,
      contexts: rotated.contexts,
      currentContext: rotated.currentContext,
    });
    await rest.request('GET', '/api/v1/namespaces');
    await rest.request('GET', '/api/v1/namespaces');
    expect(server.connections()).toBe(2);
  });

  it('verifies the server on a pooled connection as on a fresh one: a wrong CA is refused', async () => {
    const server = await countingServer();
    const other = await countingServer();
    const rest = createKubeRest(kubeConfigFor(server.url, other.ca));
    await expect(rest.request('GET', '/api/v1/namespaces')).rejects.toThrow();
    expect(server.requests()).toBe(0);
  });

  it('sends a GET once more when the kept-alive socket it went out on was closed by the server, a write never', async () => {
    // The API server closes an idle connection whenever it likes; a request already written to it
    // gets no byte back (ECONNRESET). Nothing reached the server: a read is safe to send again,
    // a write may have landed (and then runs twice), so its error goes to the caller.
    const server = await countingServer((served) => served === 1);
    const rest = createKubeRest(kubeConfigFor(server.url, server.ca));
    await rest.request('GET', '/api/v1/namespaces');
    await expect(rest.request('GET', '/api/v1/namespaces')).resolves.toEqual({ n: 3 });
    expect(server.connections()).toBe(2);
    await rest.request('GET', '/api/v1/namespaces').catch(() => undefined);
    await expect(
      rest.request('POST', '/api/v1/namespaces', { body: { metadata: { name: 'a' } } }),
    ).rejects.toThrow();
  });

  it("keeps client-node's agent where it is not a plain HTTPS agent (a proxy's, plain HTTP)", () => {
    const pooled = createRequestAgent();
    class ProxyAgent extends https.Agent {}
    for (const agent of [new ProxyAgent(), new http.Agent()]) {
      const options: https.RequestOptions = { agent };
      usePooledAgent(options, pooled);
      expect(options.agent).toBe(agent);
    }
    const plain: https.RequestOptions = { agent: new https.Agent() };
    usePooledAgent(plain, pooled);
    expect(plain.agent).toBe(pooled);
  });
});
