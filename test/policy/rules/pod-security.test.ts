/**
 * The Pod Security Standards baseline controls that let a workload leave its sandbox, one table a
 * control: attacks (with the fact that makes them an escape) and look-alikes that must pass
 * (a gate that refuses default workloads gets switched off). Every row runs every hardening rule,
 * so a field reported by two rules, or a look-alike tripping any rule, fails the row.
 * Source of the field lists and allowed values: kubernetes.io/docs/concepts/security/pod-security-standards
 * (the v1.34 page, Baseline table).
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_CONFIG } from '../../../src/policy/config.js';
import { evaluate } from '../../../src/policy/engine.js';
import { normalizeSysctlName } from '../../../src/policy/rules/pod-security/index.js';
import { injectPodTemplate } from '../../../src/policy/sidecar/index.js';
import { WORKLOAD_KINDS, type KubeObject } from '../../../src/policy/types.js';
import { EMPTY_VIEW } from './context.js';
import { app, appWith, configWith, findings, injectedPod, violations, workload } from './hardening.js';

type Row = readonly [string, KubeObject, readonly (readonly [string, string])[]];

/** Runs a table of `[name, object, expected findings]` rows against a config. */
function table(rows: readonly Row[], config = DEFAULT_CONFIG): void {
  it.each(rows)('%s', (_name, object, expected) => {
    expect(findings(object, config)).toEqual(expected);
  });
}

const hardened = appWith({
  runAsNonRoot: true,
  runAsUser: 1000,
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
  seccompProfile: { type: 'RuntimeDefault' },
});

describe('look-alikes every hardening rule admits', () => {
  table([
    // The restricted profile's own example: drop ALL, add back only NET_BIND_SERVICE.
    [
      'a hardened Deployment (drop ALL, add NET_BIND_SERVICE, RuntimeDefault)',
      workload({ containers: [hardened] }, 'Deployment'),
      [],
    ],
    [
      'a plain Deployment with no securityContext (the default pod)',
      workload({ containers: [app] }, 'Deployment'),
      [],
    ],
    [
      'an emptyDir, a configMap and a projected token (no node files)',
      workload({
        containers: [app],
        volumes: [
          { name: 'scratch', emptyDir: {} },
          { name: 'config', configMap: { name: 'app' } },
          { name: 'token', projected: { sources: [{ serviceAccountToken: { path: 'token' } }] } },
        ],
      }),
      [],
    ],
    // containerd applies its default profiles; naming them keeps them.
    [
      'AppArmor runtime/default by annotation and RuntimeDefault/Localhost by field',
      workload(
        {
          securityContext: { appArmorProfile: { type: 'RuntimeDefault' } },
          containers: [appWith({ appArmorProfile: { type: 'Localhost', localhostProfile: 'k8s-app' } })],
        },
        'Deployment',
        { 'container.apparmor.security.beta.kubernetes.io/app': 'runtime/default' },
      ),
      [],
    ],
    [
      'AppArmor localhost/<profile> annotation (a profile the node loaded)',
      workload({ containers: [app] }, 'Pod', {
        'container.apparmor.security.beta.kubernetes.io/app': 'localhost/k8s-app',
      }),
      [],
    ],
    [
      'seccomp RuntimeDefault (pod) and Localhost (container); runtime/default annotation',
      workload(
        {
          securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
          containers: [
            appWith({ seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/app.json' } }),
          ],
        },
        'StatefulSet',
        { 'seccomp.security.alpha.kubernetes.io/pod': 'runtime/default' },
      ),
      [],
    ],
    // The level (MCS categories) is not restricted; the container types are the ones the policy ships.
    [
      'SELinux level and the container types',
      workload({
        securityContext: { seLinuxOptions: { level: 's0:c123,c456' } },
        initContainers: [
          { name: 'init', image: 'i', securityContext: { seLinuxOptions: { type: 'container_init_t' } } },
        ],
        containers: [appWith({ seLinuxOptions: { type: 'container_t', level: 's0:c1,c2' } })],
      }),
      [],
    ],
    ['procMount Default', workload({ containers: [appWith({ procMount: 'Default' })] }), []],
    [
      'the safe sysctls, dotted and slashed (the kubelet reads net/ipv4/x as net.ipv4.x)',
      workload({
        containers: [app],
        securityContext: {
          sysctls: [
            { name: 'net.ipv4.ip_local_port_range', value: '1024 65000' },
            { name: 'net/ipv4/ip_unprivileged_port_start', value: '80' },
            { name: 'kernel.shm_rmid_forced', value: '1' },
            { name: 'net.ipv4.tcp_keepalive_time', value: '600' },
          ],
        },
      }),
      [],
    ],
    [
      'hostPort 0 (the API default: no host port)',
      workload({ containers: [{ ...app, ports: [{ containerPort: 8080, hostPort: 0 }] }] }),
      [],
    ],
    [
      'probes and hooks with an empty host (the pod IP)',
      workload({
        containers: [
          {
            ...app,
            livenessProbe: { httpGet: { host: '', path: '/healthz', port: 8080 } },
            lifecycle: { preStop: { httpGet: { path: '/drain', port: 8080 } } },
          },
        ],
      }),
      [],
    ],
    [
      'hostPID: false, hostIPC: false, windowsOptions without hostProcess',
      workload({
        hostPID: false,
        hostIPC: false,
        securityContext: { windowsOptions: { runAsUserName: 'ContainerUser', hostProcess: false } },
        containers: [app],
      }),
      [],
    ],
    // What ztgate's own injector produces: ztgate-init keeps NET_ADMIN/NET_RAW, the proxy runs as 1337.
    [
      "ztgate's injected pod",
      injectPodTemplate(workload({ containers: [hardened] }), DEFAULT_CONFIG.sidecar, 'shop'),
      [],
    ],
  ]);

  it("admits ztgate's injected Deployment in native mode (judged with the native config)", () => {
    const native = configWith('istio', { sidecar: { ...DEFAULT_CONFIG.sidecar, native: true } });
    const injected = injectPodTemplate(workload({ containers: [app] }, 'Deployment'), native.sidecar, 'shop');
    expect(findings(injected, native)).toEqual([]);
  });

  describe('the meshes’ own injected pods', () => {
    it.each([
      ['istio-injected', 'istio'],
      ['istio-cni-injected', 'istio'],
      ['linkerd-injected', 'linkerd'],
    ] as const)('%s (mesh.provider %s)', (fixture, provider) => {
      expect(findings(injectedPod(fixture), configWith(provider))).toEqual([]);
    });
  });
});

describe('Host Namespaces (hostPID, hostIPC; hostNetwork stays no-host-network)', () => {
  table([
    // nsenter -t 1 -n: with hostPID and SYS_ADMIN the node's network namespace is one setns away.
    [
      'a Deployment with hostPID and SYS_ADMIN',
      workload(
        { hostPID: true, containers: [appWith({ capabilities: { add: ['SYS_ADMIN'] } })] },
        'Deployment',
      ),
      [
        ['no-host-namespaces', 'spec.template.spec.hostPID'],
        ['no-extra-capabilities', 'spec.template.spec.containers[0].securityContext.capabilities.add'],
      ],
    ],
    [
      'hostIPC in a CronJob',
      workload({ hostIPC: true, containers: [app] }, 'CronJob'),
      [['no-host-namespaces', 'spec.jobTemplate.spec.template.spec.hostIPC']],
    ],
    [
      'all three host namespaces: hostNetwork reported once, by no-host-network',
      workload({ hostNetwork: true, hostPID: true, hostIPC: true, containers: [app] }),
      [
        ['no-host-network', 'spec.hostNetwork'],
        ['no-host-namespaces', 'spec.hostPID'],
        ['no-host-namespaces', 'spec.hostIPC'],
      ],
    ],
  ]);
});

describe('Capabilities (beyond AUDIT_WRITE … SYS_CHROOT; NET_ADMIN/NET_RAW/ALL stay no-net-admin)', () => {
  table([
    // containerd upper-cases a capability and adds CAP_; "cap_sys_ptrace" is SYS_PTRACE to it.
    [
      'lower-case cap_sys_ptrace in a kubectl-debug ephemeral container',
      workload({
        containers: [app],
        ephemeralContainers: [
          {
            name: 'debugger',
            image: 'busybox',
            securityContext: { capabilities: { add: ['cap_sys_ptrace'] } },
          },
        ],
      }),
      [['no-extra-capabilities', 'spec.ephemeralContainers[0].securityContext.capabilities.add']],
    ],
    [
      'BPF and SYS_MODULE next to allowed ones in an init container',
      workload(
        {
          initContainers: [
            {
              name: 'setup',
              image: 'i',
              securityContext: { capabilities: { add: ['CHOWN', 'BPF', 'SYS_MODULE'] } },
            },
          ],
          containers: [app],
        },
        'DaemonSet',
      ),
      [['no-extra-capabilities', 'spec.template.spec.initContainers[0].securityContext.capabilities.add']],
    ],
    [
      'NET_ADMIN and SYS_ADMIN: each reported once, by its own rule',
      workload({ containers: [appWith({ capabilities: { add: ['NET_ADMIN', 'SYS_ADMIN'] } })] }),
      [
        ['no-net-admin', 'spec.containers[0].securityContext.capabilities.add'],
        ['no-extra-capabilities', 'spec.containers[0].securityContext.capabilities.add'],
      ],
    ],
    // Only NET_ADMIN and NET_RAW are the redirect's: istio-init with more is not Istio's template.
    [
      'istio-init adding SYS_ADMIN besides its two',
      workload({
        initContainers: [
          {
            name: 'istio-init',
            image: 'docker.io/istio/proxyv2:1.24.0',
            securityContext: { capabilities: { add: ['NET_ADMIN', 'NET_RAW', 'SYS_ADMIN'] } },
          },
        ],
        containers: [app],
      }),
      [['no-extra-capabilities', 'spec.initContainers[0].securityContext.capabilities.add']],
    ],
  ]);

  // The API server's decoder refuses it; the core's typed readers make it invalid-object first.
  it('refuses a capability that is not a string as invalid-object', () => {
    const object = workload({ containers: [appWith({ capabilities: { add: [21] } })] });
    const decision = evaluate({ operation: 'CREATE', object, namespace: 'shop' }, EMPTY_VIEW, DEFAULT_CONFIG);
    expect(decision.violations.map((v) => [v.rule, v.path])).toEqual([
      ['invalid-object', 'spec.containers[0].securityContext.capabilities.add[0]'],
    ]);
  });

  it('names the capability, why it matters, and the hardened YAML', () => {
    const [violation] = violations(
      workload({ hostPID: false, containers: [appWith({ capabilities: { add: ['SYS_ADMIN'] } })] }),
    );
    expect(violation?.value).toEqual(['SYS_ADMIN']);
    expect(violation?.message).toContain('SYS_ADMIN mounts filesystems and enters namespaces');
    expect(violation?.fix).toContain('drop: [ALL]');
  });
});

describe('HostPath Volumes (allowed only by podSecurity.allowedHostPaths, per namespace)', () => {
  const logs = configWith('istio', {
    podSecurity: {
      allowedHostPaths: [{ namespace: 'shop', pathPrefix: '/var/log', readOnly: true }],
      allowedHostPorts: [],
    },
  });
  const mounting = (path: string, readOnly = true) =>
    workload({
      containers: [{ ...app, volumeMounts: [{ name: 'host', mountPath: '/host', readOnly }] }],
      volumes: [{ name: 'host', hostPath: { path } }],
    });
  // The runtime's socket starts containers the API server never sees (crictl run, ctr run).
  table([
    [
      'the containerd socket',
      mounting('/run/containerd/containerd.sock'),
      [['no-host-path', 'spec.volumes[0].hostPath']],
    ],
    ['the node root, writable', mounting('/', false), [['no-host-path', 'spec.volumes[0].hostPath']]],
    [
      'a hostPath without a path (fail closed)',
      workload({ containers: [app], volumes: [{ name: 'h', hostPath: {} }] }),
      [['no-host-path', 'spec.volumes[0].hostPath']],
    ],
  ]);
  describe('with /var/log allowed read-only in namespace shop', () => {
    table(
      [
        ['/var/log/pods read-only (allowed)', mounting('/var/log/pods'), []],
        [
          '/var/log itself, trailing slash and doubled slashes (the same directory)',
          mounting('//var//log/'),
          [],
        ],
        // Whole segments: /var/log allows /var/log/x, never /var/logs or /var/log-archive.
        [
          '/var/logs (a sibling, not below)',
          mounting('/var/logs'),
          [['no-host-path', 'spec.volumes[0].hostPath']],
        ],
        // The kernel resolves .. before the mount: /var/log/../../run is /run.
        [
          '/var/log/../../run/containerd (climbs out)',
          mounting('/var/log/../../run/containerd'),
          [['no-host-path', 'spec.volumes[0].hostPath']],
        ],
        [
          '/var/log/pods mounted writable',
          mounting('/var/log/pods', false),
          [['no-host-path', 'spec.containers[0].volumeMounts[0].readOnly']],
        ],
      ],
      logs,
    );
    it('does not carry over to another namespace', () => {
      const other = { ...mounting('/var/log/pods'), metadata: { name: 'w', namespace: 'payments' } };
      expect(findings(other, logs)).toEqual([['no-host-path', 'spec.volumes[0].hostPath']]);
    });
  });

  it('tells the developer what to use instead, and the admin what to allow', () => {
    const [violation] = violations(mounting('/var/log/app'));
    expect(violation?.fix).toContain('emptyDir');
    expect(violation?.fix).toContain('- { namespace: shop, pathPrefix: /var/log/app, readOnly: true }');
  });

  // Allowing these would hand over the node: the fix names the exempt namespace, never an allowance.
  it.each(['/run/containerd/containerd.sock', '/var/run/docker.sock', '/var/lib/kubelet/pki', '/var', '/'])(
    'offers no allowance for %s',
    (path) => {
      const [violation] = violations(mounting(path));
      expect(violation?.message).toContain("container runtime's socket");
      expect(violation?.fix).not.toContain('allowedHostPaths');
      expect(violation?.fix).toContain('exemptNamespaces');
    },
  );
});

describe('Host Ports (allowed only by podSecurity.allowedHostPorts, per namespace)', () => {
  const withPort = (hostPort: unknown, list = 'containers') =>
    workload({
      containers: [app],
      [list]: [{ ...app, name: 'web', ports: [{ containerPort: 8080, hostPort }] }],
    });
  table([
    ['hostPort 8080', withPort(8080), [['no-host-ports', 'spec.containers[0].ports[0].hostPort']]],
    [
      'hostPort in an init container',
      withPort(9100, 'initContainers'),
      [['no-host-ports', 'spec.initContainers[0].ports[0].hostPort']],
    ],
    [
      'hostPort as a digit string',
      withPort('8080'),
      [['no-host-ports', 'spec.containers[0].ports[0].hostPort']],
    ],
  ]);
  const allowed = configWith('istio', {
    podSecurity: { allowedHostPaths: [], allowedHostPorts: [{ namespace: 'shop', port: 9100 }] },
  });
  table(
    [
      ['an allowed hostPort', withPort(9100), []],
      ['another hostPort', withPort(9101), [['no-host-ports', 'spec.containers[0].ports[0].hostPort']]],
    ],
    allowed,
  );
});

describe('HostProcess, /proc Mount Type, Host Probes / Lifecycle Hooks', () => {
  table([
    [
      'a pod-level HostProcess',
      workload({ securityContext: { windowsOptions: { hostProcess: true } }, containers: [app] }),
      [['no-host-process', 'spec.securityContext.windowsOptions.hostProcess']],
    ],
    [
      'a container HostProcess',
      workload({ containers: [appWith({ windowsOptions: { hostProcess: true } })] }, 'Job'),
      [['no-host-process', 'spec.template.spec.containers[0].securityContext.windowsOptions.hostProcess']],
    ],
    // Unmasked drops the runtime's /proc masks (/proc/sysrq-trigger, /proc/kcore …).
    [
      'procMount Unmasked',
      workload({ containers: [appWith({ procMount: 'Unmasked' })] }),
      [['no-unmasked-proc', 'spec.containers[0].securityContext.procMount']],
    ],
    // The kubelet probes from the node's network namespace: 169.254.169.254 is the cloud metadata service.
    [
      'an httpGet probe aimed at the metadata service',
      workload({
        containers: [
          {
            ...app,
            livenessProbe: { httpGet: { host: '169.254.169.254', path: '/latest/meta-data/', port: 80 } },
          },
        ],
      }),
      [['no-host-probes', 'spec.containers[0].livenessProbe.httpGet.host']],
    ],
    [
      'a tcpSocket startup probe at the node loopback',
      workload({ containers: [{ ...app, startupProbe: { tcpSocket: { host: '127.0.0.1', port: 10250 } } }] }),
      [['no-host-probes', 'spec.containers[0].startupProbe.tcpSocket.host']],
    ],
    [
      'a preStop hook to another host',
      workload({
        initContainers: [
          {
            ...app,
            name: 'side',
            restartPolicy: 'Always',
            lifecycle: { preStop: { httpGet: { host: 'etcd.kube-system', path: '/', port: 2379 } } },
          },
        ],
        containers: [app],
      }),
      [['no-host-probes', 'spec.initContainers[0].lifecycle.preStop.httpGet.host']],
    ],
  ]);
});

describe('AppArmor, SELinux, Seccomp', () => {
  table([
    [
      'AppArmor Unconfined on the pod',
      workload({ securityContext: { appArmorProfile: { type: 'Unconfined' } }, containers: [app] }),
      [['no-unconfined-apparmor', 'spec.securityContext.appArmorProfile.type']],
    ],
    [
      'AppArmor Unconfined on an ephemeral container',
      workload({
        containers: [app],
        ephemeralContainers: [
          { name: 'dbg', image: 'busybox', securityContext: { appArmorProfile: { type: 'Unconfined' } } },
        ],
      }),
      [['no-unconfined-apparmor', 'spec.ephemeralContainers[0].securityContext.appArmorProfile.type']],
    ],
    [
      'the beta annotation unconfined (Deployment template)',
      workload({ containers: [app] }, 'Deployment', {
        'container.apparmor.security.beta.kubernetes.io/app': 'unconfined',
      }),
      [
        [
          'no-unconfined-apparmor',
          'spec.template.metadata.annotations.container.apparmor.security.beta.kubernetes.io/app',
        ],
      ],
    ],
    // spc_t is the "super privileged container" type: unconfined by SELinux on the node.
    [
      'SELinux type spc_t',
      workload({ containers: [appWith({ seLinuxOptions: { type: 'spc_t' } })] }),
      [['no-custom-selinux', 'spec.containers[0].securityContext.seLinuxOptions.type']],
    ],
    [
      'SELinux user and role on the pod',
      workload({
        securityContext: { seLinuxOptions: { user: 'system_u', role: 'system_r' } },
        containers: [app],
      }),
      [
        ['no-custom-selinux', 'spec.securityContext.seLinuxOptions.user'],
        ['no-custom-selinux', 'spec.securityContext.seLinuxOptions.role'],
      ],
    ],
    [
      'seccomp Unconfined on the pod',
      workload({ securityContext: { seccompProfile: { type: 'Unconfined' } }, containers: [app] }),
      [['no-unconfined-seccomp', 'spec.securityContext.seccompProfile.type']],
    ],
    [
      'seccomp Unconfined on an init container',
      workload(
        {
          initContainers: [
            { name: 'i', image: 'i', securityContext: { seccompProfile: { type: 'Unconfined' } } },
          ],
          containers: [app],
        },
        'ReplicaSet',
      ),
      [['no-unconfined-seccomp', 'spec.template.spec.initContainers[0].securityContext.seccompProfile.type']],
    ],
    // A 1.20 kubelet still reads the alpha annotations.
    [
      'the seccomp alpha annotations, pod and container',
      workload({ containers: [app] }, 'Pod', {
        'seccomp.security.alpha.kubernetes.io/pod': 'unconfined',
        'container.seccomp.security.alpha.kubernetes.io/app': 'unconfined',
      }),
      [
        ['no-unconfined-seccomp', 'metadata.annotations.seccomp.security.alpha.kubernetes.io/pod'],
        ['no-unconfined-seccomp', 'metadata.annotations.container.seccomp.security.alpha.kubernetes.io/app'],
      ],
    ],
  ]);
});

describe('Sysctls (the safe set only)', () => {
  const sysctls = (...names: string[]) =>
    workload({
      containers: [app],
      securityContext: { sysctls: names.map((name) => ({ name, value: '1' })) },
    });
  table([
    // route_localnet lets a pod's loopback-bound listeners (the proxy's admin port) be reached from outside.
    [
      'net.ipv4.conf.all.route_localnet',
      sysctls('net.ipv4.conf.all.route_localnet'),
      [['no-unsafe-sysctls', 'spec.securityContext.sysctls[0].name']],
    ],
    [
      'a slashed unsafe one next to a safe one',
      sysctls('net.ipv4.tcp_syncookies', 'net/ipv4/ip_forward'),
      [['no-unsafe-sysctls', 'spec.securityContext.sysctls[1].name']],
    ],
    // kernel.msg* is namespaced but outside the standard's safe set.
    [
      'kernel.msgmax',
      sysctls('kernel.msgmax'),
      [['no-unsafe-sysctls', 'spec.securityContext.sysctls[0].name']],
    ],
  ]);

  it.each([
    ['net.ipv4.ip_local_port_range', 'net.ipv4.ip_local_port_range'],
    ['net/ipv4/ip_local_port_range', 'net.ipv4.ip_local_port_range'],
    // The kubelet's rule: swap only when the first separator is a slash.
    ['net/ipv4/conf/eno2.100/rp_filter', 'net.ipv4.conf.eno2/100.rp_filter'],
    ['net.ipv4.conf.eno2/100.rp_filter', 'net.ipv4.conf.eno2/100.rp_filter'],
  ])('normalizes %s as the kubelet does', (name, expected) => {
    expect(normalizeSysctlName(name)).toBe(expected);
  });
});

describe('every workload kind and YAML 1.1 spellings', () => {
  it.each(WORKLOAD_KINDS)('%s with hostPID is refused', (kind) => {
    expect(findings(workload({ hostPID: true, containers: [app] }, kind)).map(([rule]) => rule)).toEqual([
      'no-host-namespaces',
    ]);
  });

  it('reads `hostPID: yes` as kubectl does (YAML 1.1 boolean)', () => {
    const object = parse(
      'apiVersion: v1\nkind: Pod\nmetadata: {name: w, namespace: shop}\nspec:\n  hostPID: yes\n  containers: [{name: app, image: i}]\n',
      { version: '1.1' },
    ) as KubeObject;
    expect(findings(object)).toEqual([['no-host-namespaces', 'spec.hostPID']]);
  });

  it('leaves exempt namespaces alone', () => {
    const object = {
      ...workload({ hostPID: true, containers: [appWith({ capabilities: { add: ['SYS_ADMIN'] } })] }),
      metadata: { name: 'w', namespace: 'kube-system' },
    };
    expect(findings(object)).toEqual([]);
  });
});

// The securityContext refusals build their fix only when a value is refused (read.ts): the fix
// must still be the whole text, of the judged workload's own namespace, on every refused value.
describe('securityContext fixes are built on refusal, per workload', () => {
  const note = (namespace: string) =>
    'If the workload really needs this (a CNI, storage or node agent), it belongs in a namespace a ztgate admin ' +
    `lists in exemptNamespaces; nothing in the workload can exempt it (namespace "${namespace}").`;
  const inNamespace = (object: KubeObject, namespace: string): KubeObject => ({
    ...object,
    metadata: { ...object.metadata, namespace },
  });
  const cases = [
    {
      field: { windowsOptions: { hostProcess: true } },
      fix: 'Remove `hostProcess` from windowsOptions. ',
    },
    { field: { procMount: 'Unmasked' }, fix: 'Remove `procMount` (or set it to Default). ' },
    {
      field: { seLinuxOptions: { type: 'spc_t' } },
      fix: 'Remove seLinuxOptions.type (seLinuxOptions.level stays yours to set). ',
    },
    {
      field: { seLinuxOptions: { role: 'system_r' } },
      fix: 'Remove seLinuxOptions.role (seLinuxOptions.level stays yours to set). ',
    },
    {
      field: { seccompProfile: { type: 'Unconfined' } },
      fix: 'Remove seccompProfile, or set:\n  securityContext:\n    seccompProfile:\n      type: RuntimeDefault\n',
    },
  ];
  it.each(cases)('$fix', ({ field, fix }) => {
    const object = workload({
      containers: [
        { ...appWith(field), name: 'a' },
        { ...appWith(field), name: 'b' },
      ],
    });
    for (const namespace of ['shop', 'billing', 'shop']) {
      const fixes = violations(inNamespace(object, namespace)).map((violation) => violation.fix);
      expect(fixes).toEqual([`${fix}${note(namespace)}`, `${fix}${note(namespace)}`]);
    }
  });
});
