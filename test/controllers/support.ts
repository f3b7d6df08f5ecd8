import type { KubeConfig } from '@kubernetes/client-node';
import { afterEach } from 'vitest';
import type { KubeLogger } from '../../src/adapters/kube/logger.js';
import {
  startControllers,
  startZtgateControllers,
  type Controller,
  type ControllerWrite,
  type ControllersOptions,
  type RunningControllers,
} from '../../src/controllers/index.js';
import type { ZtgateConfig } from '../../src/policy/config.js';
import { BUILTIN_CONFIG } from '../support/builtin-config.js';
import type { FakeKube } from '../adapters/kube/fake-kube.js';

/** One log line a test captured. */
export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly fields: Record<string, unknown>;
  readonly message: string;
}

/** A started runtime with what it wrote and logged. */
export interface Started {
  readonly controllers: RunningControllers;
  readonly writes: ControllerWrite[];
  readonly logs: LogLine[];
  /** The messages of the warnings logged so far. */
  warnings(): string[];
}

/** Options of a test start. */
export interface StartOptions {
  readonly config?: ZtgateConfig;
  readonly identity?: string;
  readonly resyncIntervalMs?: number;
  readonly dryRun?: boolean;
  /** Runs these controllers instead of the ones the config turns on. */
  readonly controllers?: readonly Controller[];
  /** Runs the background audit too (config audit.background); off unless a test is about it. */
  readonly audit?: boolean;
  /** The published view the audit reads. */
  readonly view?: ControllersOptions['view'];
  readonly postRate?: ControllersOptions['postRate'];
}

const running: RunningControllers[] = [];
afterEach(async () => {
  for (const controllers of running.splice(0)) await controllers.stop();
});

function captureLogger(logs: LogLine[]): KubeLogger {
  const at =
    (level: LogLine['level']) =>
    (fields: object, message: string): void => {
      logs.push({ level, fields: fields as Record<string, unknown>, message });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Starts controllers against a fake API server; they are stopped after each test. */
export function start(kube: FakeKube, options: StartOptions = {}): Started {
  const writes: ControllerWrite[] = [];
  const logs: LogLine[] = [];
  const config = options.config ?? BUILTIN_CONFIG;
  const common = {
    config: { ...config, audit: { ...config.audit, background: options.audit ?? false } },
    logger: captureLogger(logs),
    identity: options.identity ?? 'a',
    rest: kube,
    renewIntervalMs: 20,
    resyncIntervalMs: options.resyncIntervalMs ?? 60_000,
    backoff: { initialMs: 20, maxMs: 200 },
    dryRun: options.dryRun,
    view: options.view,
    postRate: options.postRate,
    discoveryIntervalMs: 30,
    onWrite: (write: ControllerWrite) => writes.push(write),
  };
  const controllers =
    options.controllers === undefined
      ? startZtgateControllers({ ...common, kubeConfig: {} as KubeConfig })
      : startControllers({ ...common, controllers: options.controllers });
  running.push(controllers);
  const warnings = () => logs.filter((line) => line.level === 'warn').map((line) => line.message);
  return { controllers, writes, logs, warnings };
}

/** A Namespace object as the API server returns it. */
export const namespace = (name: string, labels: Record<string, string> = {}, phase = 'Active') => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, labels },
  status: { phase },
});

/** Resolves after `ms`. */
export const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Short forms of writes for assertions: `create NetworkPolicy shop/ztgate-default-deny`. */
export const describeWrites = (writes: readonly ControllerWrite[]): string[] =>
  writes.map((write) => `${write.action} ${write.kind} ${write.namespace}/${write.name}`);
