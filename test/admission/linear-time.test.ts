/**
 * Complexity tests for every function that reads request text with a regex or copies it into a
 * message or a log line: doubling the input must roughly double the time. A ratio, not a
 * wall-clock threshold: each size is timed best-of-N (noise only ever adds time), and the bound
 * (3×) sits between linear (2×) and quadratic (4×). A measurement over the bound is retried
 * twice before it fails, so one preempted run on a shared machine does not fail the suite; a
 * quadratic function fails every time, as the self-check at the end shows.
 */
import { describe, expect, it } from 'vitest';
import { decisionResponse, formatDenialMessage, formatWarnings } from '../../src/admission/build-response.js';
import { buildDecisionRecord } from '../../src/admission/decision-record.js';
import { decodeReview } from '../../src/admission/decode-review.js';
import { logText } from '../../src/admission/log-text.js';
import { nestsDeeperThan } from '../../src/adapters/http/json-depth.js';
import { DEFAULT_CONFIG } from '../../src/policy/config.js';
import { evaluate } from '../../src/policy/engine.js';
import { clipText, flattenLines, quoteValue, showText } from '../../src/policy/message-text.js';
import { stripCiliumSource } from '../../src/policy/policies/cilium.js';
import { parseCidr } from '../../src/policy/net/cidr.js';
import { labelKeyError } from '../../src/policy/selectors/label-syntax.js';
import { isGroupVersion, readOwnerReferences } from '../../src/policy/ownership.js';
import { tokenizeCalicoSelector } from '../../src/policy/selectors/calico-tokenizer.js';
import { buildSidecarPatch } from '../../src/policy/sidecar/index.js';
import { createClusterView } from '../../src/policy/cluster-view.js';
import type { KubeObject, Violation } from '../../src/policy/types.js';

const RATIO_BOUND = 3;
const RUNS = 9;

/** The least time of `runs` calls, ms. */
function bestOf(work: () => unknown, runs: number = RUNS): number {
  let best = Infinity;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    work();
    best = Math.min(best, performance.now() - started);
  }
  return best;
}

/** time(2n) / time(n), best-of-N each; inputs are built outside the timed calls. */
function doublingRatio<T>(build: (n: number) => T, work: (input: T) => unknown, n: number): number {
  const small = build(n);
  const large = build(2 * n);
  // Warm up both sizes: the first calls pay for compilation, not for the input.
  work(small);
  work(large);
  return bestOf(() => work(large)) / bestOf(() => work(small));
}

/** The ratio, measured again (up to three times) while it is over the bound. */
function settledRatio<T>(build: (n: number) => T, work: (input: T) => unknown, n: number): number {
  let ratio = Infinity;
  for (let attempt = 0; attempt < 3 && ratio >= RATIO_BOUND; attempt++) {
    ratio = Math.min(ratio, doublingRatio(build, work, n));
  }
  return ratio;
}

const spaces = (n: number): string => `x${' '.repeat(n)}y`;

function violationWith(message: string): Violation {
  return { rule: 'no-allow-all-policy', path: 'spec.ingress[0].action', message, fix: 'fix it' };
}

function calicoReview(action: string): unknown {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'u1',
      kind: { group: 'projectcalico.org', version: 'v3', kind: 'NetworkPolicy' },
      resource: { group: 'projectcalico.org', version: 'v3', resource: 'networkpolicies' },
      operation: 'CREATE',
      namespace: 'shop',
      name: 'p',
      object: {
        apiVersion: 'projectcalico.org/v3',
        kind: 'NetworkPolicy',
        metadata: { name: 'p', namespace: 'shop' },
        spec: { selector: "app == 'web'", types: ['Ingress'], ingress: [{ action }] },
      },
      userInfo: { username: `alice${' '.repeat(action.length)}` },
    },
  };
}

const VIEW = createClusterView([], { istioRootNamespace: 'istio-system' });

function labelledPod(value: string): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'shop', labels: { app: value } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'app:1',
          readinessProbe: { httpGet: { path: '/', port: `${'1'.repeat(value.length)}x` } },
          securityContext: { capabilities: { add: [`CAP_${' '.repeat(value.length)}`] } },
        },
      ],
    },
  };
}

const SIZE = 200_000;

describe('linear time on hostile text (doubling the input at most triples the time)', () => {
  it.each<[string, (n: number) => unknown, (input: never) => unknown, number]>([
    [
      'formatDenialMessage on a message with a long run of spaces (the issue: 10,000 spaces took 142 ms)',
      (n) => [violationWith(spaces(n))],
      (violations: Violation[]) => formatDenialMessage(violations),
      SIZE,
    ],
    [
      'formatWarnings on the same',
      (n) => [violationWith(spaces(n))],
      (violations: Violation[]) => formatWarnings(violations, [spaces(1000)]),
      SIZE,
    ],
    ['flattenLines on spaces without a newline', spaces, (text: string) => flattenLines(`${text}\n`), SIZE],
    ['flattenLines on alternating spaces and newlines', (n) => ' \n'.repeat(n), flattenLines, SIZE],
    ['clipText', (n) => 'a'.repeat(n), (text: string) => clipText(text), SIZE],
    ['showText on NUL bytes and bidi overrides', (n) => '\u0000\u202e'.repeat(n), showText, SIZE],
    ['quoteValue on a wide list', (n) => new Array<number>(n).fill(1), quoteValue, SIZE],
    ['logText on NUL bytes', (n) => '\u0000'.repeat(n), (text: string) => logText(text, 256), SIZE],
    ['parseCidr on leading spaces', spaces, (text: string) => parseCidr(text, { bareAddress: true }), SIZE],
    [
      'parseCidr on a long address',
      (n) => `${'1'.repeat(n)}/${'0'.repeat(n)}`,
      (text: string) => parseCidr(text, { bareAddress: true }),
      SIZE,
    ],
    ['labelKeyError on a long key with a trailing dash', (n) => `a${'b'.repeat(n)}-`, labelKeyError, SIZE],
    ['labelKeyError on a long prefix', (n) => `${'a.'.repeat(n)}-/x`, labelKeyError, SIZE],
    // The regex this replaced took 2 s on 40,000 characters with two slashes.
    [
      'isGroupVersion on a long apiVersion with two slashes',
      (n) => `${'a'.repeat(n)}//`,
      isGroupVersion,
      SIZE,
    ],
    [
      'readOwnerReferences on a long apiVersion (the message quotes it)',
      (n) => ({
        ownerReferences: [{ apiVersion: `${'a'.repeat(n)}/b/c`, kind: 'ReplicaSet', name: 'r', uid: 'u' }],
      }),
      readOwnerReferences,
      SIZE,
    ],
    ['stripCiliumSource on a long key', (n) => `k8${'s'.repeat(n)}:`, stripCiliumSource, SIZE],
    // The tokenizer, not parseCalicoSelector: its cache would answer every timed call but the first.
    ['tokenizeCalicoSelector on spaces', (n) => `${' '.repeat(n)}all()`, tokenizeCalicoSelector, SIZE],
    [
      'tokenizeCalicoSelector on a long quoted value',
      (n) => `app == '${' '.repeat(n)}'`,
      tokenizeCalicoSelector,
      SIZE,
    ],
    ['nestsDeeperThan on brackets inside strings', (n) => `["${'['.repeat(n)}"]`, nestsDeeperThan, SIZE],
    ['nestsDeeperThan on open brackets', (n) => '['.repeat(n), nestsDeeperThan, SIZE],
    [
      'decodeReview refusing a long kind (kind syntax, mismatch check)',
      (n) => ({
        ...(calicoReview('Allow') as object),
        request: { kind: { group: 'x', version: 'v1', kind: 'K'.repeat(n) } },
      }),
      (body: unknown) => {
        try {
          return decodeReview(body);
        } catch (error) {
          return error;
        }
      },
      SIZE,
    ],
    [
      'the whole /validate path on a Calico action of spaces (decode, evaluate, answer, log record)',
      (n) => calicoReview(spaces(n)),
      (body: unknown) => {
        const request = decodeReview(body);
        const decision = evaluate(
          { operation: 'CREATE', object: request.object, namespace: 'shop', user: request.userInfo },
          VIEW,
          DEFAULT_CONFIG,
        );
        decisionResponse(request.uid, decision);
        return buildDecisionRecord({
          request,
          outcome: 'deny',
          mode: 'enforce',
          violations: decision.violations,
          durationMs: 1,
          webhook: 'validate',
        });
      },
      20_000,
    ],
    [
      'evaluate and buildSidecarPatch on a pod with long label, probe port and capability',
      (n) => labelledPod(spaces(n)),
      (pod: KubeObject) => {
        const decision = evaluate(
          { operation: 'CREATE', object: pod, namespace: 'shop' },
          VIEW,
          DEFAULT_CONFIG,
        );
        formatDenialMessage(decision.violations);
        return buildSidecarPatch(pod, DEFAULT_CONFIG.sidecar, { namespace: 'shop' });
      },
      20_000,
    ],
    [
      // A Pod created with generateName: the fixes name the ServiceAccount and policy after the
      // prefix with its trailing dashes dropped; the regex that did it took 9 s on 40,000 dashes.
      'evaluate on a Pod whose generateName is a long run of dashes (the fix names it)',
      (n) => ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { generateName: `${'-'.repeat(n)}x`, namespace: 'shop' },
        spec: { containers: [{ name: 'app', image: 'app:1' }] },
      }),
      (pod: KubeObject) =>
        evaluate({ operation: 'CREATE', object: pod, namespace: 'shop' }, VIEW, DEFAULT_CONFIG),
      20_000,
    ],
  ])('%s', (_name, build, work, n) => {
    expect(settledRatio(build, work as (input: unknown) => unknown, n)).toBeLessThan(RATIO_BOUND);
  });

  it('fails a quadratic function (self-check: the regex build-response used)', () => {
    const quadratic = (text: string): string => text.replace(/\s*\n\s*/g, ' ');
    // Measured again (up to three times) while under the bound, as settledRatio does the other
    // way: a preempted small run on a loaded machine once gave the quadratic a ratio under 3.
    let ratio = 0;
    for (let attempt = 0; attempt < 3 && ratio <= RATIO_BOUND; attempt++) {
      ratio = Math.max(ratio, doublingRatio(spaces, quadratic, 3000));
    }
    expect(ratio).toBeGreaterThan(RATIO_BOUND);
  });
});
