import { Writable } from 'node:stream';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../../src/adapters/audit/logger.js';
import { buildApp } from '../../../src/adapters/http/app.js';
import { LazyChildLogger } from '../../../src/adapters/http/lazy-child-logger.js';
import { DEFAULT_CONFIG } from '../../../src/policy/config.js';
import { EMPTY_VIEW, fixedSource, makeCerts, postJson } from './support.js';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  const lines = (): Record<string, unknown>[] =>
    chunks
      .join('')
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { stream, lines };
}

describe('LazyChildLogger', () => {
  it('makes no child until a line is logged, then logs with its bindings at the parent level', () => {
    const { stream, lines } = capture();
    const parent = pino({ level: 'info' }, stream) as unknown as FastifyBaseLogger;
    const log = new LazyChildLogger(parent, { reqId: 'req-7' }, {});
    expect(log.created).toBe(false);
    expect(log.level).toBe('info');
    log.debug('below the level');
    log.info({ route: '/validate' }, 'first');
    log.error(new Error('boom'), 'second');
    expect(log.created).toBe(true);
    expect(lines().map((line) => [line['level'], line['reqId'], line['msg']])).toEqual([
      [30, 'req-7', 'first'],
      [50, 'req-7', 'second'],
    ]);
    expect(lines()[0]?.['route']).toBe('/validate');
  });

  it('passes level changes and children on to the real child', () => {
    const { stream, lines } = capture();
    const parent = pino({ level: 'info' }, stream) as unknown as FastifyBaseLogger;
    const log = new LazyChildLogger(parent, { reqId: 'req-8' }, { level: 'warn' });
    expect(log.level).toBe('warn');
    log.info('dropped at the child level');
    log.level = 'debug';
    log.debug('kept');
    log.child({ step: 'parse' }).warn('nested');
    expect(lines().map((line) => [line['reqId'], line['step'], line['msg']])).toEqual([
      ['req-8', undefined, 'kept'],
      ['req-8', 'parse', 'nested'],
    ]);
  });
});

describe('request loggers of the admission server', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  it('are made only when a request logs, and then carry its request id', async () => {
    const certs = await makeCerts();
    const { stream, lines } = capture();
    const logger = createLogger({ destination: stream });
    const app = await buildApp({
      viewSource: fixedSource(EMPTY_VIEW),
      config: DEFAULT_CONFIG,
      tls: { certFile: certs.certFile, keyFile: certs.keyFile },
      logger,
      evaluate: () => ({ allowed: true, skipped: false, mode: 'enforce', violations: [], warnings: [] }),
    });
    closers.push(() => app.close());
    const made: boolean[] = [];
    app.addHook('onResponse', (request, _reply, done) => {
      made.push(request.log instanceof LazyChildLogger && request.log.created);
      request.log.warn('after the answer');
      done();
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'lazy-1',
        kind: { group: '', version: 'v1', kind: 'Pod' },
        resource: { group: '', version: 'v1', resource: 'pods' },
        operation: 'CREATE',
        namespace: 'shop',
        object: { kind: 'Pod', apiVersion: 'v1', metadata: { name: 'web', namespace: 'shop' } },
      },
    };
    const answer = await postJson(`https://127.0.0.1:${port}`, '/validate', review, certs.caPem);
    expect(answer.status).toBe(200);
    expect(made).toEqual([false]);
    const warned = lines().filter((line) => line['msg'] === 'after the answer');
    expect(warned).toHaveLength(1);
    expect(warned[0]?.['reqId']).toMatch(/^req-/);
    expect(lines().filter((line) => line['msg'] === 'admission decision')).toHaveLength(1);
  });
});
