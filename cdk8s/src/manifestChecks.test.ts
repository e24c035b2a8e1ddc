import { randomBytes } from 'node:crypto';
import { VARIABLES } from '@msk/contract';
import { type PlatformConfig, resolvePlatformConfig } from './platformConfigSchema';
import { CONFIG_VARIATIONS } from './exampleConfigs';
import { platformConfig } from './platform.config';
import type { KubernetesObject } from './kubernetesObject';
import { checkManifests, MANIFEST_CHECKS } from './manifestChecks';
import { type Loose, objectOf } from './manifestQueries';
import { synthesizeFiles, synthesizeObjects } from './synthOutputs';

function synth(config: PlatformConfig): KubernetesObject[] {
  return synthesizeObjects(resolvePlatformConfig(config));
}

function copy(objects: readonly KubernetesObject[]): Loose[] {
  return structuredClone(objects) as Loose[];
}

describe('cross-object checks on the synthesized manifests', () => {
  it.each(Object.entries(CONFIG_VARIATIONS))('finds no problem with %s', (_, config) => {
    expect(checkManifests(synth(config))).toEqual([]);
  });
});

describe('each cross-object check can fail', () => {
  const objects = synth(platformConfig);
  const statefulSet = (o: Loose[]) => o.find((x) => x.kind === 'StatefulSet');
  const container = (o: Loose[], name: string) =>
    statefulSet(o).spec.template.spec.containers.find((c: Loose) => c.name === name);

  /** One way to break the manifests: `breaks` edits a copy in place, or returns other objects to check. */
  interface BrokenManifests {
    readonly what: string;
    readonly check: keyof typeof MANIFEST_CHECKS;
    readonly breaks: (broken: Loose[]) => Loose[] | void;
    readonly reported: readonly string[];
  }
  const cases: BrokenManifests[] = [
    {
      what: 'a volumeMount without a volume or claim template',
      check: 'checkVolumeMounts',
      breaks: (broken) =>
        void container(broken, 'postgres').volumeMounts.push({ name: 'backup', mountPath: '/backup' }),
      reported: ["mounts 'backup' at /backup, which is neither a volume nor a claim template"],
    },
    {
      what: 'a claim template that nothing mounts',
      check: 'checkVolumeMounts',
      breaks: (broken) => {
        const postgres = container(broken, 'postgres');
        postgres.volumeMounts = postgres.volumeMounts.filter((m: Loose) => m.name !== 'data');
      },
      reported: ["volume 'data' is mounted by no container"],
    },
    {
      what: 'a Service whose selector matches no pod (e.g. a leftover kplus address label)',
      check: 'checkSelectors',
      breaks: (broken) => {
        broken.find((o) => o.metadata.name === 'multi-server-kit-peers').spec.selector['cdk8s.io/metadata.addr'] = 'x';
      },
      reported: ['Service multi-server-kit-peers: selector'],
    },
    {
      what: 'a ServiceAccount the pods use but the output lacks',
      check: 'checkServiceAccounts',
      breaks: (broken) => broken.filter((o) => o.kind !== 'ServiceAccount'),
      reported: ["serviceAccountName 'multi-server-kit'"],
    },
    {
      what: 'a RoleBinding to a missing Role',
      check: 'checkServiceAccounts',
      breaks: () => copy(synth({ host: 'a.example.com', discovery: 'kubernetes' })).filter((o) => o.kind !== 'Role'),
      reported: ['roleRef Role multi-server-kit-discovery'],
    },
    {
      what: 'an image without a tag and one tagged latest',
      check: 'checkImages',
      breaks: (broken) => {
        container(broken, 'app').image = 'registry.example.com:5000/app';
        container(broken, 'sync').image = 'multi-server-kit/sync:latest';
      },
      reported: ['has no tag', 'uses latest'],
    },
    {
      what: 'a container without a probe and an HTTP probe on an undeclared port',
      check: 'checkProbes',
      breaks: (broken) => {
        delete container(broken, 'postgres').startupProbe;
        container(broken, 'sync').readinessProbe.httpGet.port = 9999;
      },
      reported: ["sync's readinessProbe targets port 9999", 'container postgres has no startupProbe'],
    },
    {
      what: 'a Service port forwarding to no container port and an Ingress to a missing Service port',
      check: 'checkPorts',
      breaks: (broken) => {
        broken.find((o) => o.metadata.name === 'multi-server-kit-app').spec.ports[0].targetPort = 3000;
        broken.find((o) => o.kind === 'Ingress').spec.rules[0].http.paths[0].backend.service.port.number = 8080;
      },
      reported: ['forwards to 3000', 'backend multi-server-kit-app:8080'],
    },
    {
      what: 'a second Secret reference and any Secret object',
      check: 'checkSecrets',
      breaks: (broken) => {
        container(broken, 'sync').env.push({
          name: 'EXTRA',
          valueFrom: { secretKeyRef: { name: 'another-secret', key: 'EXTRA' } },
        });
        broken.push({
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'generated', namespace: 'multi-server-kit' },
          stringData: { A: 'b' },
        });
      },
      reported: [
        'reference 2 Secrets (multi-server-kit-shared, another-secret)',
        'Secret generated is part of the output',
      ],
    },
    {
      what: 'a variable set twice in one container',
      check: 'checkEnvironmentNames',
      breaks: (broken) => void container(broken, 'app').env.push({ name: 'NODE_ENV', value: 'development' }),
      reported: ['sets NODE_ENV more than once'],
    },
  ];

  it.each(cases)('reports $what', ({ check, breaks, reported }) => {
    const broken = copy(objects);
    const checked = breaks(broken) ?? broken;
    expect(MANIFEST_CHECKS[check](checked)).toEqual(reported.map((text) => expect.stringContaining(text)));
  });

  it('reports a StatefulSet selector that does not match its own pods', () => {
    const broken = copy(objects);
    statefulSet(broken).spec.template.metadata.labels['app.kubernetes.io/instance'] = 'other';
    expect(MANIFEST_CHECKS.checkSelectors(broken)[0]).toContain('StatefulSet multi-server-kit: selector');
  });

  it('reports a serviceName that is not a headless Service of the output', () => {
    const broken = copy(objects);
    statefulSet(broken).spec.serviceName = 'multi-server-kit-app';
    expect(MANIFEST_CHECKS.checkServiceName(broken)).toEqual([expect.stringContaining('is not headless')]);
    statefulSet(broken).spec.serviceName = 'missing';
    expect(MANIFEST_CHECKS.checkServiceName(broken)).toEqual([
      expect.stringContaining("serviceName 'missing' is not a Service"),
    ]);
  });

  it('reports objects in different namespaces', () => {
    const broken = copy(objects);
    broken[0].metadata.namespace = 'default';
    expect(MANIFEST_CHECKS.checkNamespaces(broken)).toHaveLength(1);
  });
});

describe('no secret value anywhere in the output', () => {
  const secretVariables = VARIABLES.filter((v) => v.secret).map((v) => v.name);
  const previous = new Map(secretVariables.map((name) => [name, process.env[name]]));
  const values = new Map(secretVariables.map((name) => [name, `value-${randomBytes(24).toString('hex')}`]));

  beforeAll(() => {
    // An operator who sourced deploy/shared.env before running the synth: the values are in the environment.
    for (const [name, value] of values) process.env[name] = value;
  });
  afterAll(() => {
    for (const [name, value] of previous) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it.each(Object.entries(CONFIG_VARIATIONS))(
    'no secret from the environment ends up in the files written for %s',
    (_, config) => {
      const files = synthesizeFiles(resolvePlatformConfig(config));
      for (const [path, text] of files) {
        for (const [name, value] of values) {
          if (text.includes(value)) throw new Error(`${path} contains the value of ${name}`);
        }
        // no Secret object (a ConfigMap's data, e.g. the roles' initdb script, holds no secret: the values check above)
        expect(text).not.toMatch(/^kind:\s*Secret\s*$/m);
      }
    },
  );

  it('sets no secret variable of the contract by value, except the database URLs without a password', () => {
    const objects = synth(platformConfig);
    const statefulSet = objectOf(objects, 'StatefulSet');
    for (const container of statefulSet.spec.template.spec.containers) {
      for (const variable of container.env as Loose[]) {
        if (!secretVariables.includes(variable.name) || variable.value === undefined) continue;
        expect(['DATABASE_URL', 'SYNC_DATABASE_URL']).toContain(variable.name);
        expect(new URL(variable.value).password).toBe('');
      }
    }
  });
});
