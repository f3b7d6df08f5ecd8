import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { h1, h2, makeCerts, reviewFixture, startDemoApp, type Running, type TestCerts } from './support.js';

let certs: TestCerts;
let server: Running;

// The real engine over the shipped demo state: what `npm start` serves.
beforeAll(async () => {
  certs = await makeCerts();
  server = await startDemoApp(certs);
});
afterAll(async () => server.app.close());

describe('HTTP/2 and HTTP/1.1 through ALPN', () => {
  it('denies the non-compliant demo workload over h2', async () => {
    const body = await reviewFixture('storefront-deployment-review.json');
    const answer = await h2(server.url, '/validate', { body: JSON.stringify(body), ca: certs.caPem });
    expect(answer.alpn).toBe('h2');
    expect(answer.status).toBe(200);
    const response = answer.json().response;
    expect(response.uid).toBe(body.request.uid);
    expect(response.allowed).toBe(false);
    expect(response.status.code).toBe(403);
    const lines: string[] = response.status.message.split('\n');
    expect(
      lines.filter((line) => line.startsWith('[')).map((line) => line.slice(0, line.indexOf(']') + 1)),
    ).toEqual(['[dedicated-service-account]', '[allow-list-policy]']);
    expect(lines).toContain('fix for [dedicated-service-account] spec.template.spec.serviceAccountName:');
  });

  it('gives the same answer over HTTP/1.1', async () => {
    const body = await reviewFixture('storefront-deployment-review.json');
    const viaH1 = await h1(server.url, '/validate', { body: JSON.stringify(body), ca: certs.caPem });
    const viaH2 = await h2(server.url, '/validate', { body: JSON.stringify(body), ca: certs.caPem });
    expect(viaH1.alpn).toBe('http/1.1');
    expect(viaH1.json()).toEqual(viaH2.json());
  });

  it('allows the compliant demo workload', async () => {
    const body = await reviewFixture('storefront-deployment-review.json');
    const catalog = {
      ...body.request.object,
      metadata: { ...body.request.object.metadata, name: 'catalog' },
    };
    catalog.spec = structuredClone(catalog.spec);
    catalog.spec.template.metadata.labels = { app: 'catalog' };
    catalog.spec.selector.matchLabels = { app: 'catalog' };
    catalog.spec.template.spec.serviceAccountName = 'catalog';
    const review = { ...body, request: { ...body.request, name: 'catalog', object: catalog } };
    const answer = await h2(server.url, '/validate', { body: JSON.stringify(review), ca: certs.caPem });
    expect(answer.json().response).toEqual({ uid: body.request.uid, allowed: true });
  });

  it('serves readiness and metrics over h2', async () => {
    expect((await h2(server.url, '/readyz', { ca: certs.caPem })).json()).toEqual({
      status: 'ready',
      revision: 1,
    });
    expect((await h2(server.url, '/metrics', { ca: certs.caPem })).text).toContain(
      'ztgate_admission_requests_total',
    );
  });

  it('refuses TLS 1.1', async () => {
    const { connect } = await import('node:tls');
    const url = new URL(server.url);
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({
        host: url.hostname,
        port: Number(url.port),
        ca: certs.caPem,
        maxVersion: 'TLSv1.1',
        minVersion: 'TLSv1',
      });
      socket.on('secureConnect', () => resolve('connected'));
      socket.on('error', () => resolve('refused'));
    });
    expect(outcome).toBe('refused');
  });
});
