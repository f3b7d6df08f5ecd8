/**
 * The fuzzer's own contract, in `npm test`: the same seed gives the same cases, every category
 * is drawn, bodies are what their category says, and the oracles flag what they must.
 */
import { describe, expect, it } from 'vitest';
import { BASES } from './bases.js';
import { buildCase, CATEGORIES, planBatch, type FuzzCase } from './cases.js';
import { judge } from './oracles.js';

const cases = (seed: number, count: number): FuzzCase[] =>
  planBatch(seed, 0, count).map((plan, index) => buildCase(index, plan));

describe('fuzz cases', () => {
  it('are reproducible from the seed, and differ between seeds', () => {
    const digest = (list: FuzzCase[]): string[] =>
      list.map((c) => `${c.category}:${c.detail}:${c.body.length}`);
    expect(digest(cases(7, 100))).toEqual(digest(cases(7, 100)));
    expect(digest(cases(7, 100))).not.toEqual(digest(cases(8, 100)));
  });

  it('draw every category, both transports, every base', () => {
    const plans = planBatch(1, 0, 1000);
    expect(new Set(plans.map((p) => p.category))).toEqual(new Set(CATEGORIES));
    expect(new Set(plans.map((p) => p.transport))).toEqual(new Set(['h1', 'h2']));
    expect(new Set(plans.map((p) => BASES[p.base]?.name))).toEqual(new Set(BASES.map((b) => b.name)));
    expect(new Set(plans.map((p) => p.framing))).toEqual(new Set(['whole', 'chunked', 'slow']));
  });

  it('build bodies as their category says', () => {
    for (const c of cases(3, 300)) {
      const parses = ((): boolean => {
        try {
          JSON.parse(c.body);
          return true;
        } catch {
          return false;
        }
      })();
      if (c.category === 'truncated') expect(parses).toBe(false);
      if (c.category === 'oversized') expect(Buffer.byteLength(c.body)).toBeGreaterThan(3 << 20);
      const depth = /nested (\d+) deep/.exec(c.detail)?.[1];
      if (c.category === 'deep-nesting' && depth !== undefined) {
        expect(c.body.split('[').length + c.body.split('{"a":').length).toBeGreaterThan(Number(depth));
      }
      if (c.category === 'proto-keys')
        expect(c.body).toMatch(/"(__proto__|constructor|prototype|toString|hasOwnProperty)":/);
    }
  });

  it('watch for wrongful allows on denied /validate bases only, never where a string change is a fix', () => {
    const list = cases(5, 400);
    for (const c of list) {
      const base = BASES.find((b) => b.name === c.base);
      if (base?.deniedBy.length === 0 || base?.route === '/mutate') expect(c.mustNotAllow).toBe(false);
    }
    const labelEdit = list.find(
      (c) =>
        c.base === 'namespace-exempt-label' &&
        c.detail.startsWith('request.object.metadata.labels.ztgate.dev/exempt (content)'),
    );
    if (labelEdit !== undefined) expect(labelEdit.mustNotAllow).toBe(false);
    expect(list.filter((c) => c.mustNotAllow).length).toBeGreaterThan(120);
  });
});

describe('fuzz oracles', () => {
  const [storefront] = cases(1, 1).map((c) => ({ ...c, uid: 'u1', mustNotAllow: true, mayBeCut: false }));
  const base = storefront as FuzzCase;
  const review = (allowed: boolean, uid = 'u1'): string =>
    JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid, allowed },
    });

  it.each([
    ['a denial', { status: 200, text: review(false) }, 'review'],
    ['an allow of a denied base', { status: 200, text: review(true) }, 'wrongful-allow'],
    ['another uid', { status: 200, text: review(false, 'u2') }, 'wrong-uid'],
    [
      'a 400 JSON error',
      { status: 400, text: '{"statusCode":400,"code":"ZT_ERR_INVALID_JSON","message":"x"}' },
      'client-error',
    ],
    ['a 400 that is not JSON', { status: 400, text: 'bad' }, 'malformed-answer'],
    ['a 500', { status: 500, text: '{"statusCode":500}' }, 'server-error'],
    ['a 503', { status: 503, text: 'Service Unavailable' }, 'server-error'],
    ['a reset', { status: 0, text: '', error: 'ECONNRESET' }, 'dropped'],
  ])('%s', (_name, outcome, expected) => {
    const verdict = judge(base, { ...outcome, ms: 1 });
    expect(verdict.kind === 'problem' ? verdict.oracle : verdict.kind).toBe(expected);
  });

  it('accepts a cut for a body the server may cut', () => {
    expect(judge({ ...base, mayBeCut: true }, { status: 0, text: '', error: 'EPIPE', ms: 1 })).toEqual({
      kind: 'cut',
    });
  });
});
