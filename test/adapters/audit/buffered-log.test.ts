import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { buildDecisionRecord } from '../../../src/admission/decision-record.js';
import type { AdmissionRequest } from '../../../src/admission/review-types.js';
import { closeLogger, createLogger, logDecision } from '../../../src/adapters/audit/logger.js';
import { buildApp } from '../../../src/adapters/http/app.js';
import { DEFAULT_CONFIG } from '../../../src/policy/config.js';
import { EMPTY_VIEW, fixedSource, makeCerts, postJson } from '../http/support.js';

const request: AdmissionRequest = {
  uid: 'buffered-1',
  kind: { group: '', version: 'v1', kind: 'Pod' },
  resource: { group: '', version: 'v1', resource: 'pods' },
  subResource: undefined,
  operation: 'CREATE',
  namespace: 'shop',
  name: 'web',
  object: undefined,
  oldObject: undefined,
  userInfo: { username: 'alice', groups: [] },
  dryRun: false,
};

async function logFile(): Promise<string> {
  return join(await mkdtemp(join(tmpdir(), 'ztgate-log-')), 'decisions.log');
}

async function decisionUids(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line['msg'] === 'admission decision')
    .map((line) => String(line['uid']));
}

const loggers: ReturnType<typeof createLogger>[] = [];
afterEach(async () => {
  for (const logger of loggers.splice(0)) await closeLogger(logger);
});

describe('the buffered decision log', () => {
  it.each([1, 5, 200, 5000])('writes all %i decision lines once flushed, in order', async (count) => {
    const file = await logFile();
    const logger = createLogger({ file });
    loggers.push(logger);
    const uids = Array.from({ length: count }, (_, index) => `uid-${index}`);
    for (const uid of uids) {
      logDecision(
        logger,
        buildDecisionRecord({
          request: { ...request, uid },
          outcome: 'allow',
          mode: 'enforce',
          violations: [],
          durationMs: 0.1,
          webhook: 'validate',
        }),
      );
    }
    await closeLogger(logger);
    expect(await decisionUids(file)).toEqual(uids);
  });

  it('flushes the decision lines when the app closes', async () => {
    const certs = await makeCerts();
    const file = await logFile();
    const logger = createLogger({ file });
    loggers.push(logger);
    const app = await buildApp({
      viewSource: fixedSource(EMPTY_VIEW),
      config: DEFAULT_CONFIG,
      tls: { certFile: certs.certFile, keyFile: certs.keyFile },
      logger,
      evaluate: () => ({ allowed: true, skipped: false, mode: 'enforce', violations: [], warnings: [] }),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = app.server.address() as { port: number };
    const review = {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: { ...request, object: { kind: 'Pod', metadata: { name: 'web' } } },
    };
    const answer = await postJson(`https://127.0.0.1:${port}`, '/validate', review, certs.caPem);
    expect(answer.status).toBe(200);
    // One short line stays below the batch size: only the close can have written it.
    expect(await decisionUids(file)).toEqual([]);
    await app.close();
    expect(await decisionUids(file)).toEqual(['buffered-1']);
  });
});

describe('the buffered destination', () => {
  it('writes every line as its UTF-8 bytes, decision lines and others in the order they were logged', async () => {
    const file = await logFile();
    const logger = createLogger({ file });
    loggers.push(logger);
    const names = ['web', 'wéb', '日本語', 'emoji-😀', 'quote-"-\\', 'a'.repeat(200)];
    for (const [index, name] of names.entries()) {
      // Lines longer than a batch, too.
      logger.info({ index, note: `${name}-`.repeat(index * 400) }, `before ${name}`);
      logDecision(
        logger,
        buildDecisionRecord({
          request: { ...request, uid: `uid-${index}`, name },
          outcome: 'allow',
          mode: 'enforce',
          violations: [],
          durationMs: 0.1,
          webhook: 'validate',
        }),
      );
    }
    await closeLogger(logger);
    const lines = (await readFile(file, 'utf8'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line['msg'])).toEqual(
      names.flatMap((name) => [`before ${name}`, 'admission decision']),
    );
    expect(lines.filter((line) => line['msg'] === 'admission decision').map((line) => line['name'])).toEqual(
      names,
    );
  });

  it('loses no line when the process exits without closing the logger', async () => {
    const file = await logFile();
    const script = [
      "import { createLogger, flushLogger, logDecision } from './src/adapters/audit/logger.ts';",
      "import { buildDecisionRecord } from './src/admission/decision-record.ts';",
      `const logger = createLogger({ file: ${JSON.stringify(file)} });`,
      `const request = ${JSON.stringify(request)};`,
      // Once the file is open: before that no destination can write (as before buffer mode).
      "logger.info('started');",
      'await flushLogger(logger);',
      'for (let index = 0; index < 50; index++) {',
      "  logDecision(logger, buildDecisionRecord({ request: { ...request, uid: 'exit-' + index }, outcome: 'allow', mode: 'enforce', violations: [], durationMs: 0.1, webhook: 'validate' }));",
      '}',
      'process.exit(0);',
    ].join('\n');
    const result = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(result.status, result.stderr).toBe(0);
    // Every line is there. A batch whose asynchronous write is still in flight at the exit can
    // land after the lines the exit hook writes synchronously (sonic-boom's flushSync does not wait
    // for it, in either content mode); each line keeps its time.
    const uids = await decisionUids(file);
    expect(uids).toHaveLength(50);
    expect(new Set(uids)).toEqual(new Set(Array.from({ length: 50 }, (_, index) => `exit-${index}`)));
  });
});
