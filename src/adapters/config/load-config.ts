import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { DEFAULT_CONFIG, deepFreeze, type ZtgateConfig } from '../../policy/config.js';
import { ConfigError } from '../errors.js';
import { findCrossKeyIssues } from './config-rules.js';
import { CONFIG_SCHEMA } from './config-schema.js';
import { findMeshIssues } from './mesh-rules.js';
import type { SchemaNode } from './schema-nodes.js';

/** One problem found in a config file: the dotted key path and what was wrong. */
export interface ConfigIssue {
  readonly path: string;
  readonly message: string;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function describe(value: unknown): string {
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path === '' ? key : `${path}.${key}`;
}

/**
 * Validates `given` against `node`, merged over `fallback` (the default at this path).
 * Mappings merge key by key; lists and string maps in the file replace the default whole.
 */
function resolve(
  node: SchemaNode,
  fallback: unknown,
  given: unknown,
  path: string,
  issues: ConfigIssue[],
): unknown {
  if (given === undefined) {
    if (fallback !== undefined) return fallback;
    if (node.kind === 'leaf' && node.fallback !== undefined) return node.fallback;
    issues.push({ path, message: 'required' });
    return fallback;
  }
  switch (node.kind) {
    case 'leaf': {
      const expected = node.check(given);
      if (expected !== undefined) issues.push({ path, message: `${expected}, got ${describe(given)}` });
      return given;
    }
    case 'list': {
      if (!Array.isArray(given)) {
        issues.push({ path, message: `expected a list, got ${describe(given)}` });
        return fallback;
      }
      return given.map((item, index) => resolve(node.item, undefined, item, join(path, index), issues));
    }
    case 'record':
      return resolveRecord(node, given, path, issues);
    case 'object':
      return resolveObject(node.fields, isMapping(fallback) ? fallback : {}, given, path, issues);
  }
}

function resolveRecord(
  node: Extract<SchemaNode, { kind: 'record' }>,
  given: unknown,
  path: string,
  issues: ConfigIssue[],
): unknown {
  if (!isMapping(given)) {
    issues.push({ path, message: `expected a mapping of strings, got ${describe(given)}` });
    return {};
  }
  for (const [key, value] of Object.entries(given)) {
    const badKey = node.key(key);
    if (badKey !== undefined)
      issues.push({ path: join(path, key), message: `${badKey}, got ${describe(key)}` });
    const badValue = node.value(value);
    if (badValue !== undefined)
      issues.push({ path: join(path, key), message: `${badValue}, got ${describe(value)}` });
  }
  return given;
}

function resolveObject(
  fields: Readonly<Record<string, SchemaNode>>,
  fallback: Record<string, unknown>,
  given: unknown,
  path: string,
  issues: ConfigIssue[],
): unknown {
  if (!isMapping(given)) {
    issues.push({
      path: path === '' ? '(top level)' : path,
      message: `expected a mapping, got ${describe(given)}`,
    });
    return fallback;
  }
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(given)) {
    if (!(key in fields)) {
      issues.push({
        path: join(path, key),
        message: `unknown key (expected one of ${Object.keys(fields).join(', ')})`,
      });
    }
  }
  for (const [key, field] of Object.entries(fields)) {
    result[key] = resolve(field, fallback[key], given[key], join(path, key), issues);
  }
  return result;
}

/** Validates an already-decoded config value and returns the frozen config, or the issues found. */
export function validateConfig(value: unknown): { config: ZtgateConfig; issues: readonly ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  // An empty file decodes to null: no overrides.
  const given = value === null || value === undefined ? {} : value;
  const merged = resolve(CONFIG_SCHEMA, DEFAULT_CONFIG, given, '', issues);
  const config = deepFreeze(structuredClone(merged)) as ZtgateConfig;
  // Keys that span others are judged only once every key has the right shape.
  if (issues.length === 0) issues.push(...findCrossKeyIssues(config), ...findMeshIssues(config));
  return { config, issues };
}

/** Parses and validates YAML config text; throws a ConfigError naming every bad key path. */
export function parseConfig(text: string, source: string): ZtgateConfig {
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const syntax = document.errors[0];
  if (syntax !== undefined)
    throw new ConfigError(`${source}: invalid YAML: ${syntax.message.split('\n')[0]}`);
  const { config, issues } = validateConfig(document.toJS({ maxAliasCount: 100 }));
  if (issues.length > 0) {
    throw new ConfigError(issues.map((issue) => `${source}: ${issue.path}: ${issue.message}`).join('\n'));
  }
  return config;
}

/** Loads the config file (DEFAULT_CONFIG when none is given), validated and frozen. */
export async function loadConfig(file?: string): Promise<ZtgateConfig> {
  if (file === undefined) return DEFAULT_CONFIG;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`${file}: cannot read the config file: ${reason}`);
  }
  return parseConfig(text, file);
}
