import type { ViewStats } from '../view-source.js';
import type { Reflector } from './reflector.js';

type Figure = ViewStats['objects'][number];

function byKind(reflectors: readonly Reflector[], count: (reflector: Reflector) => number): Figure[] {
  const totals = new Map<string, Figure>();
  for (const reflector of reflectors) {
    const { group, kind } = reflector.spec;
    const key = `${group}/${kind}`;
    totals.set(key, { group, kind, count: (totals.get(key)?.count ?? 0) + count(reflector) });
  }
  return [...totals.values()];
}

/**
 * The watch cache's figures for /metrics: synced "now" while every watch is healthy, else since
 * the oldest broken watch broke (what /readyz judges staleness by); objects and relists by kind.
 */
export function collectViewStats(reflectors: readonly Reflector[], synced: boolean, now: number): ViewStats {
  let syncedAtMs: number | undefined = synced ? now : undefined;
  for (const reflector of reflectors) {
    const since = reflector.brokenSince();
    if (synced && since !== undefined) syncedAtMs = Math.min(syncedAtMs ?? since, since);
  }
  return {
    syncedAtMs,
    objects: byKind(reflectors, (reflector) => reflector.size()),
    relists: byKind(reflectors, (reflector) => reflector.relists()),
  };
}
