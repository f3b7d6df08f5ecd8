/**
 * Publish time in cluster mode: how long after a one-namespace change the API server accepted
 * does ztgate judge by it. The observable is a /validate decision that only the published view
 * can change, in both directions and without a live read:
 * - a bare probe pod runs as ServiceAccount `bench-probe`, alone: allowed;
 * - a Deployment created in the same namespace runs as `bench-probe` too: once ztgate's view has
 *   it, the probe is denied by `dedicated-service-account` (two workloads, one identity);
 * - the Deployment deleted: once the view has dropped it, the probe is allowed again.
 * A denial for a *missing* object would not do: /validate confirms those with a live read of the
 * API server, which answers before the watch has delivered (README, `ztgate serve`).
 * The clock runs from the API server's answer to the create or delete until the first /validate
 * answer that shows it, /validate being asked every POLL_MS.
 */
import type { KubeObject } from '../../src/policy/types.js';
import { applyMutation, toReview, type ReviewBody } from './gen-reviews.js';
import { createAgent, send } from './https-client.js';
import { objectPath, type KubeApi } from './kube-api.js';
import { createRng } from './prng.js';
import { median } from './stats.js';

const POLL_MS = 5;
const TIMEOUT_MS = 30_000;
const SA = 'bench-probe';
const LABELS = { app: 'bench-probe' };

/** Publish times (ms) after a workload was added and after it was removed. */
export interface PublishFigures {
  readonly addedMs: readonly number[];
  readonly removedMs: readonly number[];
  readonly medianMs: number;
  readonly maxMs: number;
}

/** The probe's ServiceAccount and the allow-list policy that covers it, in `namespace` (loaded with the cluster). */
export function probeObjects(namespace: string): KubeObject[] {
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: SA, namespace } },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'bench-probe', namespace },
      spec: {
        podSelector: { matchLabels: LABELS },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'frontend' } } }], ports: [{ port: 8080 }] }],
      },
    },
  ];
}

function podSpec(): Record<string, unknown> {
  return {
    serviceAccountName: SA,
    containers: [
      { name: 'probe', image: 'registry.example/bench/probe:1', ports: [{ containerPort: 8080 }] },
    ],
  };
}

/** The Deployment whose arrival and departure the probe sees: paused, no replicas, same identity. */
function sharer(namespace: string): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'bench-probe-sharer', namespace },
    spec: {
      replicas: 0,
      paused: true,
      selector: { matchLabels: LABELS },
      template: { metadata: { labels: LABELS }, spec: podSpec() },
    },
  };
}

/** The probe pod's CREATE review, as the API server sends it to /mutate. */
function probeReview(namespace: string): ReviewBody {
  const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bench-probe', namespace, labels: LABELS } };
  const user = { username: 'bench', groups: ['system:authenticated'] };
  return toReview(createRng(17), 'Pod', { ...pod, spec: podSpec() }, user);
}

interface Answer {
  readonly response?: { readonly allowed?: boolean; readonly patch?: string; status?: { message?: string } };
}

/** Measures `changes` additions and removals of the sharing Deployment in `namespace`. */
export async function measurePublish(
  api: KubeApi,
  ztgatePort: number,
  ca: string,
  namespace: string,
  changes: number,
): Promise<PublishFigures> {
  const agent = createAgent(ca, 1);
  const ask = async (path: string, body: Buffer): Promise<Answer> => {
    const response = await send(agent, ztgatePort, 'POST', path, body);
    if (response.status !== 200)
      throw new Error(`${path}: HTTP ${response.status} ${response.text.slice(0, 300)}`);
    return JSON.parse(response.text) as Answer;
  };
  try {
    const review = probeReview(namespace);
    const mutated = await ask('/mutate', Buffer.from(JSON.stringify(review.review)));
    const patch = mutated.response?.patch;
    const ops =
      patch === undefined ? [] : (JSON.parse(Buffer.from(patch, 'base64').toString('utf8')) as unknown[]);
    const body = Buffer.from(JSON.stringify(applyMutation(review, ops).review));
    const judged = async (): Promise<{ allowed: boolean; message: string }> => {
      const answer = await ask('/validate', body);
      return { allowed: answer.response?.allowed === true, message: answer.response?.status?.message ?? '' };
    };
    const first = await judged();
    if (!first.allowed) throw new Error(`the probe pod is refused before any change: ${first.message}`);
    const until = async (allowed: boolean, what: string): Promise<number> => {
      const start = performance.now();
      for (;;) {
        const now = await judged();
        if (now.allowed === allowed) {
          if (!allowed && !now.message.includes('[dedicated-service-account]'))
            throw new Error(`the probe was refused for another reason: ${now.message}`);
          return performance.now() - start;
        }
        if (performance.now() - start > TIMEOUT_MS) throw new Error(`ztgate did not see ${what} in 30 s`);
        await new Promise((done) => setTimeout(done, POLL_MS));
      }
    };
    const deployment = sharer(namespace);
    const addedMs: number[] = [];
    const removedMs: number[] = [];
    for (let i = 0; i < changes; i++) {
      await api.send('POST', objectPath(deployment), deployment);
      addedMs.push(await until(false, 'the Deployment created'));
      await api.send('DELETE', objectPath(deployment, true));
      removedMs.push(await until(true, 'the Deployment deleted'));
      await new Promise((done) => setTimeout(done, 300));
    }
    const all = [...addedMs, ...removedMs];
    return { addedMs, removedMs, medianMs: median(all), maxMs: Math.max(...all) };
  } finally {
    agent.destroy();
  }
}
