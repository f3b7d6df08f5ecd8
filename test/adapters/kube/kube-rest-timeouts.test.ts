/**
 * The REST client against servers that misbehave: one that accepts TCP and never answers (the
 * issue: discovery held start-up for 15 s, a watch forever), one that answers a watch and then
 * falls silent, and one that streams events in odd pieces. Timeouts are shortened; the defaults
 * are the same code with other numbers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createKubeRest, KubeApiError, type WatchEvent } from '../../../src/adapters/kube/kube-rest.js';
import { closeServers, httpsServer, kubeConfigFor, muteServer, watchServer } from './rest-servers.js';

afterEach(closeServers);

const noEvent = (): void => undefined;

describe('kube REST client timeouts', () => {
  it('gives up on a request to an API server that accepts TCP and never answers, after its timeout and not twice that', async () => {
    // Node's own request.setTimeout, armed at TCP connect, lets its first expiry pass while the
    // TLS ClientHello sits in the write queue: this request ended after 3,000 ms, a list after 20 s.
    const rest = createKubeRest(kubeConfigFor(await muteServer()), { requestMs: 1500 });
    const started = performance.now();
    await expect(rest.request('GET', '/api/v1/namespaces')).rejects.toThrow(
      'GET /api/v1/namespaces: timed out after 1500 ms',
    );
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1450);
    expect(elapsed).toBeLessThan(2600);
  });

  it('keeps a request whose answer trickles in, each byte within the timeout, until it ends', async () => {
    const server = await httpsServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/json' });
      const parts = ['{"kind":', '"NamespaceList",', '"items":', '[]}'];
      const next = (): void => {
        const part = parts.shift();
        if (part === undefined) response.end();
        else {
          response.write(part);
          setTimeout(next, 150);
        }
      };
      next();
    });
    // 600 ms in all, 150 ms between bytes: an idle limit of 400 ms is never reached.
    const rest = createKubeRest(kubeConfigFor(server.url, server.ca), { requestMs: 400 });
    await expect(rest.request('GET', '/api/v1/namespaces')).resolves.toEqual({
      kind: 'NamespaceList',
      items: [],
    });
  });

  it('counts a watch that gets no answer as failed, after the connect timeout', async () => {
    const rest = createKubeRest(kubeConfigFor(await muteServer()), { watchConnectMs: 300 });
    const started = performance.now();
    await expect(rest.watch('/api/v1/namespaces', {}, noEvent, noEvent)).rejects.toThrow(
      'watch /api/v1/namespaces: no answer within 300 ms',
    );
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('ends a connected watch that falls silent past its timeoutSeconds plus the grace', async () => {
    const server = await watchServer((write) =>
      write('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n'),
    );
    const rest = createKubeRest(kubeConfigFor(server.url, server.ca), { watchIdleGraceMs: 300 });
    const events: WatchEvent[] = [];
    const done = new Promise<unknown>((resolve) => {
      void rest.watch('/api/v1/namespaces', { timeoutSeconds: 0 }, (event) => events.push(event), resolve);
    });
    const error = await done;
    expect(String(error)).toContain('watch /api/v1/namespaces: no data for 300 ms');
    expect(events).toEqual([{ type: 'ADDED', object: { metadata: { name: 'a' } } }]);
  });

  it('reads events split across chunks and several events in one chunk', async () => {
    const server = await watchServer((write) => {
      write('{"type":"ADDED","object":{"metadata":');
      setTimeout(() => write('{"name":"a"}}}\n{"type":"DELETED","object":{"metadata":{"name":"a"}}}\n'), 20);
      setTimeout(() => write('\n{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"9"}}}\n'), 40);
    });
    const rest = createKubeRest(kubeConfigFor(server.url, server.ca));
    const events: WatchEvent[] = [];
    const handle = await rest.watch('/api/v1/namespaces', {}, (event) => events.push(event), noEvent);
    const deadline = Date.now() + 2000;
    while (events.length < 3 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    handle.abort();
    expect(events.map((event) => event.type)).toEqual(['ADDED', 'DELETED', 'BOOKMARK']);
  });

  it('reports a watch the API server refuses as a KubeApiError with its status', async () => {
    const server = await watchServer((_write, status) =>
      status(410, '{"kind":"Status","message":"too old resource version","reason":"Expired"}'),
    );
    const rest = createKubeRest(kubeConfigFor(server.url, server.ca));
    const failure = rest.watch('/api/v1/namespaces', { resourceVersion: '1' }, noEvent, noEvent);
    await expect(failure).rejects.toBeInstanceOf(KubeApiError);
    await expect(failure).rejects.toMatchObject({ statusCode: 410, message: 'too old resource version' });
  });
});
