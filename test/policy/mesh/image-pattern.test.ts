import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isImageAllowed,
  parseImagePattern,
  parseImageReference,
} from '../../../src/policy/mesh/image-pattern.js';
import { ISTIO } from '../../../src/policy/mesh/istio.js';
import { LINKERD } from '../../../src/policy/mesh/linkerd.js';

const SHA = `sha256:${'a'.repeat(64)}`;

describe('parseImageReference: as the container runtime reads a reference', () => {
  it.each([
    ['docker.io/istio/proxyv2:1.24.0', { registry: 'docker.io', path: ['istio', 'proxyv2'], tag: '1.24.0' }],
    // No registry: Docker Hub, where a one-segment name lives under library/.
    ['istio/proxyv2:1.24.0', { registry: 'docker.io', path: ['istio', 'proxyv2'], tag: '1.24.0' }],
    ['proxyv2', { registry: 'docker.io', path: ['library', 'proxyv2'], tag: undefined }],
    ['index.docker.io/istio/proxyv2', { registry: 'docker.io', path: ['istio', 'proxyv2'], tag: undefined }],
    [
      'my.registry:5000/mirror/istio/proxyv2:1.24',
      { registry: 'my.registry:5000', path: ['mirror', 'istio', 'proxyv2'], tag: '1.24' },
    ],
    ['localhost/proxy', { registry: 'localhost', path: ['proxy'], tag: undefined }],
    [
      'GCR.io/istio-release/proxyv2',
      { registry: 'gcr.io', path: ['istio-release', 'proxyv2'], tag: undefined },
    ],
  ])('%s', (text, expected) => {
    expect(parseImageReference(text)).toMatchObject(expected);
  });

  it('reads a digest, with or without a tag', () => {
    expect(parseImageReference(`gcr.io/istio-release/proxyv2@${SHA}`)).toMatchObject({
      digest: SHA,
      tag: undefined,
    });
    expect(parseImageReference(`gcr.io/istio-release/proxyv2:1.24@${SHA}`)).toMatchObject({
      digest: SHA,
      tag: '1.24',
    });
  });

  it.each([
    ['uppercase in the repository', 'docker.io/Istio/proxyv2'],
    ['an empty reference', ''],
    ['surrounding whitespace', ' docker.io/istio/proxyv2'],
    ['a short digest', 'docker.io/istio/proxyv2@sha256:abc'],
    ['an empty segment', 'docker.io//proxyv2'],
    ['a tag with a slash', 'docker.io/istio/proxyv2:1/2'],
  ])('refuses %s', (_name, text) => {
    expect(parseImageReference(text)).toBeUndefined();
  });
});

describe('isImageAllowed', () => {
  const istio = ISTIO.defaultProxyImages;
  it.each([
    ['the Docker Hub release', 'docker.io/istio/proxyv2:1.24.0', istio, true],
    ['the Docker Hub release without registry', 'istio/proxyv2:1.24.0', istio, true],
    ['the GCR release by digest', `gcr.io/istio-release/proxyv2@sha256:${'0'.repeat(64)}`, istio, true],
    // Look-alikes the default refuses: another account on Docker Hub, a bare name, a suffix.
    ['another Docker Hub account', 'docker.io/attacker/proxyv2:1.24.0', istio, false],
    ['a bare name (docker.io/library/proxyv2)', 'proxyv2', istio, false],
    ['a name with a suffix', 'evil.io/proxyv2-fake', istio, false],
    ['another registry, same path', 'evil.io/istio/proxyv2:1.24.0', istio, false],
    ['a deeper path ending the same', 'docker.io/evil/istio/proxyv2', istio, false],
    ['a mirror the admin did not list', 'my.registry:5000/mirror/istio/proxyv2:1.24', istio, false],
    [
      'that mirror once listed',
      'my.registry:5000/mirror/istio/proxyv2:1.24',
      ['my.registry:5000/mirror/istio/proxyv2'],
      true,
    ],
    // `*` is one whole segment: the admin's explicit choice of "any registry".
    ['any registry, when the admin says so', 'evil.io/istio/proxyv2', ['*/istio/proxyv2'], true],
    ['any registry still needs the path', 'evil.io/attacker/proxyv2', ['*/istio/proxyv2'], false],
    ['a segment wildcard', 'quay.io/team-a/proxyv2', ['quay.io/*/proxyv2'], true],
    ['a segment wildcard is one segment', 'quay.io/a/b/proxyv2', ['quay.io/*/proxyv2'], false],
    ['Linkerd proxy', 'cr.l5d.io/linkerd/proxy:edge-24.11.8', LINKERD.defaultProxyImages, true],
    ['Linkerd proxy-init', 'cr.l5d.io/linkerd/proxy-init:v2.4.1', LINKERD.defaultProxyImages, true],
    ['Linkerd on another host', 'ghcr.io.evil/linkerd/proxy', LINKERD.defaultProxyImages, false],
    ['no image at all', undefined, istio, false],
    ['an image that is no string', 42, istio, false],
  ])('%s', (_name, image, patterns, expected) => {
    expect(isImageAllowed(image, patterns)).toBe(expected);
  });

  it('ignores a malformed pattern rather than matching on it', () => {
    expect(parseImagePattern('proxyv2')).toEqual(expect.any(String));
    expect(isImageAllowed('docker.io/library/proxyv2', ['proxyv2'])).toBe(false);
  });
});

describe('isImageAllowed: property', () => {
  const segment = fc.stringMatching(/^[a-z0-9]{1,6}(-[a-z0-9]{1,4})?$/);
  const registry = fc.constantFrom('docker.io', 'gcr.io', 'my.registry:5000', 'localhost', 'quay.io');
  const tag = fc.option(fc.stringMatching(/^[a-z0-9][a-z0-9.]{0,5}$/), { nil: undefined });

  it('a literal pattern admits exactly the references naming its registry and whole path', () => {
    fc.assert(
      fc.property(
        registry,
        fc.array(segment, { minLength: 2, maxLength: 3 }),
        registry,
        fc.array(segment, { minLength: 2, maxLength: 3 }),
        tag,
        (r1, p1, r2, p2, t) => {
          const image = `${r2}/${p2.join('/')}${t === undefined ? '' : `:${t}`}`;
          expect(isImageAllowed(image, [`${r1}/${p1.join('/')}`])).toBe(
            r1 === r2 && p1.join('/') === p2.join('/'),
          );
        },
      ),
    );
  });
});
