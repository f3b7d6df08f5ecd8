/**
 * no-proxy-identity. The fact behind every row: the redirect returns early for packets whose
 * socket belongs to the proxy's identity — istio-iptables writes `-m owner --uid-owner 1337 -j
 * RETURN` and `-m owner --gid-owner 1337 -j RETURN` (tools/istio-iptables golden files),
 * linkerd2-proxy-init `--proxy-uid 2102`, ztgate-init `--proxy-uid=<sidecar.runAsUser>`. The
 * kernel's owner match (net/netfilter/xt_owner.c) compares the socket file's fsuid/fsgid; it looks
 * at supplementary groups only with XT_OWNER_SUPPL_GROUPS (`--suppl-groups`), which none of them
 * passes. Istio's analyzer reports the same misconfiguration as IST0144 (InvalidApplicationUID).
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_CONFIG } from '../../../src/policy/config.js';
import { evaluate } from '../../../src/policy/engine.js';
import { injectPodTemplate } from '../../../src/policy/sidecar/index.js';
import type { KubeObject } from '../../../src/policy/types.js';
import { EMPTY_VIEW } from './context.js';
import { app, appWith, configWith, findings, violations, workload } from './hardening.js';

type Row = readonly [string, KubeObject, readonly (readonly [string, string])[]];

const istio = configWith('istio');
const linkerd = configWith('linkerd');

describe('no-proxy-identity: look-alikes (mesh.provider istio, the default)', () => {
  it.each<Row>([
    ['runAsUser 1000', workload({ containers: [appWith({ runAsUser: 1000, runAsGroup: 1000 })] }), []],
    [
      'runAsUser 1338, the fix IST0144 suggests',
      workload({ containers: [appWith({ runAsUser: 1338 })] }),
      [],
    ],
    // Not matched by `--gid-owner 1337` without `--suppl-groups`; older Istio releases set fsGroup 1337 themselves.
    [
      'fsGroup 1337 and supplementalGroups [1337] (supplementary groups only)',
      workload({
        securityContext: { fsGroup: 1337, supplementalGroups: [1337] },
        containers: [appWith({ runAsUser: 1000 })],
      }),
      [],
    ],
    // The image's USER is invisible at admission (see the README's guarantees).
    ['no runAsUser at all (the image decides)', workload({ containers: [app] }), []],
    [
      'a pod-level 1337 every workload container overrides',
      workload({ securityContext: { runAsUser: 1337 }, containers: [appWith({ runAsUser: 1000 })] }),
      [],
    ],
    // istio-validation checks the CNI's redirect as 1337 (Istio's injection template).
    [
      "Istio's istio-validation and istio-proxy as 1337",
      workload({
        initContainers: [
          {
            name: 'istio-validation',
            image: 'docker.io/istio/proxyv2:1.24.0',
            securityContext: { runAsUser: 1337, runAsGroup: 1337 },
          },
        ],
        containers: [
          app,
          {
            name: 'istio-proxy',
            image: 'docker.io/istio/proxyv2:1.24.0',
            securityContext: { runAsUser: 1337, runAsGroup: 1337 },
          },
        ],
      }),
      [],
    ],
    [
      'istio-proxy as a native sidecar inheriting a pod-level 1337, the app overriding it',
      workload({
        securityContext: { runAsUser: 1337, runAsGroup: 1337 },
        initContainers: [
          { name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.24.0', restartPolicy: 'Always' },
        ],
        containers: [appWith({ runAsUser: 1000, runAsGroup: 1000 })],
      }),
      [],
    ],
  ])('%s', (_name, object, expected) => {
    expect(findings(object, istio)).toEqual(expected);
  });
});

describe('no-proxy-identity: attacks (mesh.provider istio)', () => {
  it.each<Row>([
    [
      'runAsUser 1337 on the container',
      workload({ containers: [appWith({ runAsUser: 1337 })] }, 'Deployment'),
      [['no-proxy-identity', 'spec.template.spec.containers[0].securityContext.runAsUser']],
    ],
    // istio-iptables also exempts gid 1337: `-m owner --gid-owner 1337 -j RETURN`.
    [
      'runAsGroup 1337 with another uid',
      workload({ containers: [appWith({ runAsUser: 1000, runAsGroup: 1337 })] }),
      [['no-proxy-identity', 'spec.containers[0].securityContext.runAsGroup']],
    ],
    [
      'inherited from the pod securityContext (reported once, at the pod field)',
      workload(
        { securityContext: { runAsUser: 1337 }, containers: [app, { ...app, name: 'helper' }] },
        'StatefulSet',
      ),
      [['no-proxy-identity', 'spec.template.spec.securityContext.runAsUser']],
    ],
    [
      'an init container (it talks before the app does)',
      workload(
        { initContainers: [{ ...appWith({ runAsUser: 1337 }), name: 'migrate' }], containers: [app] },
        'Job',
      ),
      [['no-proxy-identity', 'spec.template.spec.initContainers[0].securityContext.runAsUser']],
    ],
    [
      'a kubectl debug ephemeral container inheriting the pod gid',
      workload({
        securityContext: { runAsGroup: 1337 },
        containers: [appWith({ runAsGroup: 1000 })],
        ephemeralContainers: [{ name: 'debugger', image: 'busybox' }],
      }),
      [['no-proxy-identity', 'spec.securityContext.runAsGroup']],
    ],
    // Names are unique across a pod's lists, and an ephemeral container is never the mesh's own.
    [
      'an ephemeral container named istio-proxy',
      workload({
        containers: [app],
        ephemeralContainers: [
          { name: 'istio-proxy', image: 'busybox', securityContext: { runAsUser: 1337 } },
        ],
      }),
      [['no-proxy-identity', 'spec.ephemeralContainers[0].securityContext.runAsUser']],
    ],
    // The redirect container's name only counts in initContainers.
    [
      'an app container named istio-init',
      workload({ containers: [{ name: 'istio-init', image: 'evil', securityContext: { runAsUser: 1337 } }] }),
      [['no-proxy-identity', 'spec.containers[0].securityContext.runAsUser']],
    ],
    [
      'a container securityContext with runAsUser: null inherits the pod value',
      workload({ securityContext: { runAsUser: 1337 }, containers: [appWith({ runAsUser: null })] }),
      [['no-proxy-identity', 'spec.securityContext.runAsUser']],
    ],
    [
      'in a CronJob',
      workload({ containers: [appWith({ runAsUser: 1337 })] }, 'CronJob'),
      [['no-proxy-identity', 'spec.jobTemplate.spec.template.spec.containers[0].securityContext.runAsUser']],
    ],
  ])('%s', (_name, object, expected) => {
    expect(findings(object, istio)).toEqual(expected);
  });

  // kubectl reads YAML 1.1, where a leading 0 makes an octal integer: 02471 is 1337.
  it('refuses 1337 written in YAML 1.1 octal (02471), as the YAML reader hands it over', () => {
    const text =
      'apiVersion: v1\nkind: Pod\nmetadata: {name: w, namespace: shop}\nspec:\n  containers:\n    - name: app\n      image: i\n      securityContext: {runAsUser: 02471}\n';
    const object = parse(text, { version: '1.1' }) as KubeObject;
    expect(findings(object, istio)).toEqual([
      ['no-proxy-identity', 'spec.containers[0].securityContext.runAsUser'],
    ]);
  });

  // The API server's decoder refuses a string for an int64, and pod validation ids above 2^31 - 1
  // (runc's uid is 32 bits: 4294968633 would wrap to 1337): the core's typed readers make both
  // invalid-object before any rule reads them, so they never pass as "not set".
  it.each([
    ['a uid written as a digit string', '1337'],
    ['a uid of 2^32 + 1337', 2 ** 32 + 1337],
  ])('refuses %s as invalid-object', (_name, runAsUser) => {
    const object = workload({ containers: [appWith({ runAsUser })] });
    const decision = evaluate({ operation: 'CREATE', object, namespace: 'shop' }, EMPTY_VIEW, istio);
    expect(decision.allowed).toBe(false);
    expect(decision.violations.map((v) => [v.rule, v.path])).toEqual([
      ['invalid-object', 'spec.containers[0].securityContext.runAsUser'],
    ]);
  });

  it('says which redirect rule is skipped, cites IST0144 and shows the fix', () => {
    const [violation] = violations(workload({ containers: [appWith({ runAsUser: 1337 })] }), istio);
    expect(violation?.value).toBe(1337);
    expect(violation?.message).toContain('container "app" runs as uid 1337');
    expect(violation?.message).toContain('IST0144');
    expect(violation?.fix).toContain('runAsUser: 1000');
  });

  it('names every container that inherits the pod-level value', () => {
    const [violation] = violations(
      workload({ securityContext: { runAsUser: 1337 }, containers: [app, { ...app, name: 'helper' }] }),
      istio,
    );
    expect(violation?.message).toContain(
      'containers "app", "helper" (inheriting the pod\'s securityContext) run as uid 1337',
    );
  });
});

describe('no-proxy-identity per mesh', () => {
  it.each([
    // linkerd2-proxy-init exempts --proxy-uid 2102, and no gid.
    ['linkerd: uid 2102', linkerd, { runAsUser: 2102 }, ['spec.containers[0].securityContext.runAsUser']],
    ['linkerd: gid 2102 (no gid rule)', linkerd, { runAsUser: 1000, runAsGroup: 2102 }, []],
    // ztgate-init's --proxy-uid follows sidecar.runAsUser; it writes no gid rule.
    [
      'builtin with sidecar.runAsUser 4242: uid 4242',
      configWith('builtin', { sidecar: { ...DEFAULT_CONFIG.sidecar, runAsUser: 4242 } }),
      { runAsUser: 4242 },
      ['spec.containers[0].securityContext.runAsUser'],
    ],
    ['builtin: gid 1337 (no gid rule)', configWith('builtin'), { runAsUser: 1000, runAsGroup: 1337 }, []],
    // Istio's uid means nothing to linkerd2-proxy-init.
    ['linkerd: uid 1337', linkerd, { runAsUser: 1337 }, []],
    [
      'istio-ambient: gid 1337 (ztunnel recognises its traffic by a mark, not a gid)',
      configWith('istio-ambient'),
      { runAsUser: 1000, runAsGroup: 1337 },
      [],
    ],
  ] as const)('%s', (_name, config, context, paths) => {
    const found = findings(workload({ containers: [appWith(context)] }), config);
    expect(found).toEqual(paths.map((path) => ['no-proxy-identity', path]));
  });
});

describe("no-proxy-identity and ztgate's builtin containers under another provider", () => {
  // A pod may carry ztgate's injected containers whatever mesh.provider says (ztgate's injector,
  // `ztgate inject`): its redirect then exempts sidecar.runAsUser, and its proxy may run as it.
  const injectedWith = (app: Record<string, unknown>) =>
    injectPodTemplate(
      workload({ serviceAccountName: 'w', containers: [app] }),
      DEFAULT_CONFIG.sidecar,
      'shop',
    );

  it.each([
    ['istio', istio],
    ['linkerd', linkerd],
  ] as const)("%s: ztgate's verified proxy may run as 1337; the app may not", (_name, config) => {
    expect(findings(injectedWith(appWith({ runAsUser: 1000 })), config)).toEqual([]);
    expect(findings(injectedWith(appWith({ runAsUser: 1337 })), config)).toEqual([
      ['no-proxy-identity', 'spec.containers[1].securityContext.runAsUser'],
    ]);
  });

  it('a hand-written container merely named ztgate-proxy gets nothing from the name', () => {
    const fake = workload({
      containers: [
        app,
        { name: 'ztgate-proxy', image: 'registry.example/evil:1', securityContext: { runAsUser: 1337 } },
      ],
    });
    expect(findings(fake, istio)).toEqual([
      ['no-proxy-identity', 'spec.containers[1].securityContext.runAsUser'],
    ]);
  });

  it('an injected pod whose ztgate-init was edited loses the trust for all of ztgate’s containers', () => {
    const injected = structuredClone(injectedWith(appWith({ runAsUser: 1000 }))) as {
      spec: { initContainers: Record<string, unknown>[] };
    };
    injected.spec.initContainers[0]!['args'] = ['--exclude-outbound-cidrs=0.0.0.0/0'];
    expect(findings(injected as unknown as KubeObject, linkerd)).toEqual([
      // Its NET_ADMIN/NET_RAW are now an app container's (and mtls-sidecar refuses the pod under builtin).
      ['no-net-admin', 'spec.initContainers[0].securityContext.capabilities.add'],
    ]);
  });
});
