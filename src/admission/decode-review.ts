import { quoteValue } from '../policy/message-text.js';
import type { EvaluationInput, KubeObject, Operation, UserInfo } from '../policy/types.js';
import {
  guessResource,
  isApiGroup,
  isApiVersion,
  isKindName,
  isNamespaceName,
  isResourceName,
} from './kube-syntax.js';
import { ADMISSION_API_VERSION, type AdmissionRequest } from './review-types.js';

/** A body that is not an AdmissionReview v1 with a request; the HTTP adapter answers 400 with the message. */
export class AdmissionReviewError extends Error {
  override readonly name = 'AdmissionReviewError';
}

const OPERATIONS: readonly Operation[] = ['CREATE', 'UPDATE', 'DELETE', 'CONNECT'];

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function fail(message: string): never {
  throw new AdmissionReviewError(message);
}

function optionalString(request: Json, key: string): string | undefined {
  const value = request[key];
  if (value === undefined || value === null || value === '') return undefined;
  return typeof value === 'string' ? value : fail(`request.${key} must be a string`);
}

function optionalObject(request: Json, key: string): KubeObject | undefined {
  const value = request[key];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) return fail(`request.${key} must be an object or null`);
  checkMetadata(value, key);
  return value;
}

/**
 * An object's identity fields have the types the API server gives them. Rules key on them (the
 * protected policy's name, the namespace), and a `metadata: 7` read as "no name" let a DELETE of
 * the protected default deny through.
 */
function checkMetadata(object: Json, key: string): void {
  const metadata = object['metadata'];
  if (metadata === undefined) return;
  if (!isObject(metadata)) fail(`request.${key}.metadata must be an object`);
  for (const field of ['name', 'namespace', 'generateName']) {
    const value = metadata[field];
    if (value !== undefined && typeof value !== 'string')
      fail(`request.${key}.metadata.${field} must be a string`);
  }
  // Labels decide selection and exemption; a list or a number where the map should be was read as
  // "no labels", so a namespace labelled exempt by a non-admin passed as unlabelled.
  for (const field of ['labels', 'annotations']) {
    const value = metadata[field];
    if (value === undefined || value === null) continue;
    if (!isObject(value) || !hasOnlyStrings(value))
      fail(`request.${key}.metadata.${field} must be a map of strings`);
  }
}

/** Whether every own enumerable value is a string (Object.values without the array). */
function hasOnlyStrings(map: Json): boolean {
  for (const key in map) {
    if (Object.hasOwn(map, key) && typeof map[key] !== 'string') return false;
  }
  return true;
}

function triple<K extends string>(request: Json, key: string, names: readonly K[]): Record<K, string> {
  const value = request[key];
  if (!isObject(value)) return fail(`request.${key} must be an object with ${names.join(', ')}`);
  const result = {} as Record<K, string>;
  for (const name of names) {
    const field = value[name];
    // group is "" for the core API group; the other two must be non-empty.
    const ok = typeof field === 'string' && (name === 'group' || field !== '');
    if (!ok) fail(`request.${key}.${name} must be a ${name === 'group' ? '' : 'non-empty '}string`);
    result[name] = field as string;
  }
  return result;
}

function decodeUserInfo(request: Json): UserInfo {
  const info = request['userInfo'];
  if (info === undefined || info === null) return {};
  if (!isObject(info)) return fail('request.userInfo must be an object');
  const groups = info['groups'];
  if (
    groups !== undefined &&
    !(Array.isArray(groups) && groups.every((group) => typeof group === 'string'))
  ) {
    fail('request.userInfo.groups must be a list of strings');
  }
  const username = info['username'];
  if (username !== undefined && typeof username !== 'string')
    fail('request.userInfo.username must be a string');
  return { username: username as string | undefined, groups: (groups as string[] | undefined) ?? [] };
}

type Triple<K extends string> = Readonly<Record<K, string>>;

/**
 * Kind and resource as the API server sends them: Kubernetes names, and (without a subresource)
 * the resource the kind is filed under. ztgate judges by request.kind, so `kind: Deployments` on
 * `resource: deployments` would otherwise be an unknown kind, and skipped.
 */
function checkKindAndResource(
  kind: Triple<'group' | 'version' | 'kind'>,
  resource: Triple<'group' | 'version' | 'resource'>,
  subResource: string | undefined,
): void {
  for (const [key, triple] of [
    ['kind', kind],
    ['resource', resource],
  ] as const) {
    if (!isApiGroup(triple.group))
      fail(`request.${key}.group ${quoteValue(triple.group)} is not an API group`);
    if (!isApiVersion(triple.version))
      fail(`request.${key}.version ${quoteValue(triple.version)} is not an API version`);
  }
  if (!isKindName(kind.kind)) fail(`request.kind.kind ${quoteValue(kind.kind)} is not a kind name`);
  if (!isResourceName(resource.resource))
    fail(`request.resource.resource ${quoteValue(resource.resource)} is not a resource name`);
  if (subResource !== undefined && !isResourceName(subResource))
    fail(`request.subResource ${quoteValue(subResource)} is not a subresource name`);
  // A subresource has its own kind (deployments/scale is a Scale); the object itself has its kind's.
  if (subResource !== undefined) return;
  const expected = guessResource(kind.kind);
  if (kind.group !== resource.group || kind.version !== resource.version || expected !== resource.resource) {
    const got = `${resource.group}/${resource.version}/${resource.resource}`;
    fail(`request.kind ${kind.group}/${kind.version} ${kind.kind} is not request.resource ${got}`);
  }
}

/** Checks that a parsed body is an admission.k8s.io/v1 AdmissionReview with a request and returns the request. */
export function decodeReview(body: unknown): AdmissionRequest {
  if (!isObject(body)) return fail('expected an AdmissionReview object');
  // quoteValue, not JSON.stringify: a value nested 5,000 deep overflowed the stack (a 500).
  if (body['kind'] !== 'AdmissionReview')
    fail(`expected kind AdmissionReview, got ${quoteValue(body['kind'])}`);
  if (body['apiVersion'] !== ADMISSION_API_VERSION) {
    fail(`expected apiVersion ${ADMISSION_API_VERSION}, got ${quoteValue(body['apiVersion'])}`);
  }
  const request = body['request'];
  if (!isObject(request)) return fail('AdmissionReview has no request');
  const uid = request['uid'];
  if (typeof uid !== 'string' || uid === '') fail('request.uid must be a non-empty string');
  const operation = request['operation'];
  if (!OPERATIONS.includes(operation as Operation)) {
    fail(`request.operation must be one of ${OPERATIONS.join(', ')}, got ${quoteValue(operation)}`);
  }
  const dryRun = request['dryRun'];
  if (dryRun !== undefined && dryRun !== null && typeof dryRun !== 'boolean')
    fail('request.dryRun must be a boolean');
  const kind = triple(request, 'kind', ['group', 'version', 'kind']);
  const resource = triple(request, 'resource', ['group', 'version', 'resource']);
  const subResource = optionalString(request, 'subResource');
  checkKindAndResource(kind, resource, subResource);
  const object = optionalObject(request, 'object');
  const oldObject = optionalObject(request, 'oldObject');
  // The API server sends a DELETE's object as oldObject and never an object; a review that
  // carries one, or lacks oldObject, did not come from it, and ztgate would judge nothing.
  if (operation === 'DELETE' && object !== undefined)
    fail('request.object must be null for DELETE (the API server sends the deleted object as oldObject)');
  if (operation === 'DELETE' && oldObject === undefined)
    fail('request.oldObject must be set for DELETE (the API server sends the deleted object there)');
  // The API server always sends the object it is creating or updating; without one there is
  // nothing to judge, and judging nothing allowed it.
  if (object === undefined && (operation === 'CREATE' || operation === 'UPDATE'))
    fail(`request.object must be an object for ${String(operation)}`);
  const namespace = optionalString(request, 'namespace');
  // The API server sends only namespaces it has validated; 3 MB of spaces here came from the port.
  if (namespace !== undefined && namespace !== '' && !isNamespaceName(namespace))
    fail(`request.namespace ${quoteValue(namespace)} is not a namespace name`);
  const name = optionalString(request, 'name');
  checkObjectNames({ subResource, name }, [
    ['object', object],
    ['oldObject', oldObject],
  ]);
  return {
    uid,
    kind,
    resource,
    subResource,
    operation: operation as Operation,
    namespace,
    name,
    object,
    oldObject,
    userInfo: decodeUserInfo(request),
    dryRun: dryRun === true,
  };
}

/** Builds the engine input from a decoded request: DELETE judges the old object, UPDATE the new one. */
export function toEvaluationInput(request: AdmissionRequest): EvaluationInput {
  return {
    operation: request.operation,
    object: request.operation === 'DELETE' ? undefined : asRequested(request.object, request),
    oldObject: asRequested(request.oldObject, request),
    namespace: request.namespace,
    user: request.userInfo,
  };
}

/**
 * The object as the API server says it is: request.kind and request.namespace are authoritative,
 * the body is what a client wrote. Judging the body's own kind or namespace would let an object
 * that omits its kind be skipped, or one that names another namespace be judged as exempt. A body
 * without a name gets request.name (decodeReview refuses one that names another object): a DELETE
 * of ztgate-default-deny whose oldObject lost its name was judged as a nameless policy and allowed
 * (found by `npm run fuzz`).
 */
function asRequested(object: KubeObject | undefined, request: AdmissionRequest): KubeObject | undefined {
  if (object === undefined) return undefined;
  const { group, version, kind } = request.kind;
  const apiVersion = group === '' ? version : `${group}/${version}`;
  const namespace = nonEmpty(request.namespace);
  const metadata = object.metadata ?? {};
  const name = metadata.name === undefined ? requestName(request) : undefined;
  const sameNamespace = namespace === undefined || metadata.namespace === namespace;
  if (object.kind === kind && object.apiVersion === apiVersion && sameNamespace && name === undefined)
    return object;
  return {
    ...object,
    apiVersion,
    kind,
    metadata: {
      ...metadata,
      ...(namespace === undefined ? {} : { namespace }),
      ...(name === undefined ? {} : { name }),
    },
  };
}

/**
 * The name the API server gives the object, when it gives one: not for a subresource (an
 * Eviction or a Scale names itself) and not for a generateName CREATE (no name yet).
 */
function requestName(request: { readonly subResource?: string; readonly name?: string }): string | undefined {
  return request.subResource === undefined ? nonEmpty(request.name) : undefined;
}

/** A review whose object names another object than request.name did not come from the API server. */
function checkObjectNames(
  request: { readonly subResource?: string; readonly name?: string },
  objects: readonly [string, KubeObject | undefined][],
): void {
  const name = requestName(request);
  if (name === undefined) return;
  for (const [key, object] of objects) {
    const own = object?.metadata?.name;
    if (own !== undefined && own !== name)
      fail(`request.${key}.metadata.name ${quoteValue(own)} is not request.name ${quoteValue(name)}`);
  }
}

function nonEmpty(text: string | undefined): string | undefined {
  return text === undefined || text === '' ? undefined : text;
}
