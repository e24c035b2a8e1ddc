/**
 * The chart's values, each with its default (from platform.config.ts, so the chart rendered with its defaults is
 * the plain manifests), its one-line documentation (the comment above it in values.yaml, the row of the chart's
 * README) and its JSON Schema. Keys that hold a Kubernetes type stay open (resources, affinity, tolerations,
 * annotations, network policy peers); the chart's own keys are closed (`additionalProperties: false`), so a typo
 * such as `ingres.enabled` or `image.app.tagg` is refused by `helm install` with the key named.
 */
import { VARIABLES } from '@msk/contract';
import {
  type AppReachableFrom,
  type ContainerResourcesConfig,
  EXTERNAL_DATABASE_SSL_MODES,
  type ImageRef,
  type ResolvedPlatformConfig,
} from '../platformConfigTypes';
import { CHART_NAME } from './chartHelpers';
import { DEFAULTS, DERIVED_SETTINGS, MAX_REPLICAS } from '../platformConfigDefaults';
import {
  DATABASE_NAME_PATTERN,
  DNS_SUBDOMAIN_PATTERN,
  ENV_NAME_PATTERN,
  IMAGE_REPOSITORY_PATTERN,
  IMAGE_TAG_PATTERN,
  PROBE_PATH_PATTERN,
  SECRET_KEY_PATTERN,
  STORAGE_SIZE_PATTERN,
  TABLE_NAME_PATTERN,
} from '../platformConfigPatterns';
export { SECRET_KEY_PATTERN };

export interface ValueSpec {
  readonly description: string;
  /** A leaf's default. */
  readonly value?: unknown;
  /** A leaf's JSON Schema (without description). */
  readonly schema?: Record<string, unknown>;
  /** An object of the chart's own, closed to other keys. */
  readonly children?: Readonly<Record<string, ValueSpec>>;
}

export type ValueTree = Readonly<Record<string, ValueSpec>>;

export const CONTAINERS = ['app', 'sync', 'postgres'] as const;
const LABEL_MAP = { type: 'object', additionalProperties: { type: 'string' } };
const OPEN_OBJECT = { type: 'object' };
const LIST_OF_OBJECTS = { type: 'array', items: { type: 'object' } };

/** The contract's plain settings a chart user may set (secrets come from the Secret; ports and discovery are derived). */
export function chartSettings(): { name: string; help: string }[] {
  return VARIABLES.filter((v) => v.scope === 'setting' && !v.secret && !DERIVED_SETTINGS.has(v.name)).map((v) => ({
    name: v.name,
    help: v.help,
  }));
}

function leaf(description: string, value: unknown, schema: Record<string, unknown>): ValueSpec {
  return { description, value, schema };
}

function image(which: string, ref: ImageRef): ValueSpec {
  return {
    description: `The ${which} container's image.`,
    children: {
      repository: leaf('Image name without tag.', ref.repository, {
        type: 'string',
        pattern: IMAGE_REPOSITORY_PATTERN,
      }),
      // `latest` is refused by the templates (checkValues), with a clearer message than a schema's `not` gives
      tag: leaf('A pinned tag, never latest: every pod of the StatefulSet must run the same build.', ref.tag, {
        type: 'string',
        pattern: IMAGE_TAG_PATTERN,
      }),
      pullPolicy: leaf('IfNotPresent, Always or Never.', 'IfNotPresent', {
        type: 'string',
        enum: ['IfNotPresent', 'Always', 'Never'],
      }),
    },
  };
}

/** Kubernetes quantities, as the plain manifests write them. */
export function kubernetesResources(resources: ContainerResourcesConfig): Record<string, unknown> {
  return {
    limits: { cpu: `${resources.limits.cpuMillis}m`, memory: `${resources.limits.memoryMiB}Mi` },
    requests: { cpu: `${resources.requests.cpuMillis}m`, memory: `${resources.requests.memoryMiB}Mi` },
  };
}

/** A NetworkPolicy `from` list for the configuration's choice (`anywhere` = an empty list = no `from`). */
export function peersFrom(from: AppReachableFrom): Record<string, unknown>[] {
  return from === 'anywhere'
    ? []
    : [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': from.namespace } } }];
}

/** The app container: whatever Next.js + NextAuth image the team runs (image.app), its port, command and probes. */
function appValues(config: ResolvedPlatformConfig): ValueSpec {
  const { app } = config;
  const strings = { type: 'array', items: { type: 'string' } };
  return {
    description:
      'The app container (its image is image.app): the kit assumes nothing of it beyond these values (docs/your-app.md).',
    children: {
      port: leaf(
        "The port the app listens on (PORT is set to it); not 5432, 8765, 9464 or 9465 (the other containers' ports).",
        app.port,
        {
          type: 'integer',
          minimum: 1,
          maximum: 65535,
        },
      ),
      command: leaf(
        'The command that starts the app in its image (run after the node identity entry script).',
        [...app.command],
        {
          ...strings,
          minItems: 1,
          items: { type: 'string', minLength: 1 },
        },
      ),
      args: leaf('Arguments after the command.', [...app.args], strings),
      env: leaf(
        "Extra plain environment variables of the app container (the app's own settings; contract variables go in settings, secrets in the Secret).",
        { ...app.env },
        {
          type: 'object',
          // the kit's own variables (the contract's, MSK_*) are refused by the templates' checkValues, naming the value
          propertyNames: { pattern: ENV_NAME_PATTERN },
          additionalProperties: { type: 'string' },
        },
      ),
      cacheMountPath: leaf(
        "Where the image's Next.js writes its cache (.next/cache of the standalone folder): an emptyDir, the root filesystem is read-only.",
        app.cacheMountPath,
        {
          type: 'string',
          pattern: '^/',
        },
      ),
      runAsUser: leaf('The non-root user (and group) the app runs as.', app.runAsUser, { type: 'integer', minimum: 1 }),
      probes: {
        description: "The app's health endpoints the kubelet checks (HTTP GET on app.port).",
        children: {
          livenessPath: leaf(
            'Startup and liveness path, e.g. / or /api/auth/providers; empty: a TCP connect to app.port.',
            app.probes.livenessPath,
            {
              type: 'string',
              pattern: PROBE_PATH_PATTERN,
            },
          ),
          readinessPath: leaf(
            "Readiness path; empty: the app is ready when live, and the pod's readiness comes from the sync service's own /ready (database, peers agreeing).",
            app.probes.readinessPath,
            { type: 'string', pattern: PROBE_PATH_PATTERN },
          ),
        },
      },
    },
  };
}

function externalDatabaseValues(config: ResolvedPlatformConfig): ValueSpec {
  const external = config.externalDatabase;
  const d = DEFAULTS.externalDatabase;
  const name = { type: 'string', pattern: DATABASE_NAME_PATTERN };
  return {
    description:
      "One PostgreSQL every pod uses (managed, or an HA cluster's read-write service) instead of one in every pod. With host set, " +
      'the pods run the app and sync containers only (no PostgreSQL container, no claim template) and DATABASE_TOPOLOGY=shared. ' +
      "Fixed at install. The database needs the kit's roles (docs/database-topology.md).",
    children: {
      host: leaf(
        'Host name or IPv4 address of the database; empty: a PostgreSQL in every pod (persistence.*).',
        external?.host ?? '',
        {
          type: 'string',
          pattern: `^(${DNS_SUBDOMAIN_PATTERN.slice(1, -1)})?$`,
          maxLength: 253,
        },
      ),
      port: leaf('Its port.', external?.port ?? d.port, { type: 'integer', minimum: 1, maximum: 65535 }),
      database: leaf('The database.', external?.database ?? d.database, name),
      user: leaf("The app's role.", external?.user ?? d.user, name),
      syncUser: leaf("The sync service's role (owns schema msk_sync).", external?.syncUser ?? d.syncUser, name),
      existingSecret: leaf(
        "The Secret holding both roles' passwords; empty: the shared Secret (existingSecret).",
        external === undefined || external.existingSecret === config.sharedSecretName ? '' : external.existingSecret,
        { type: 'string', pattern: `^(${DNS_SUBDOMAIN_PATTERN.slice(1, -1)})?$` },
      ),
      passwordKey: leaf("Key of the app role's password in that Secret.", external?.passwordKey ?? d.passwordKey, {
        type: 'string',
        pattern: SECRET_KEY_PATTERN,
      }),
      syncPasswordKey: leaf(
        "Key of the sync role's password in that Secret.",
        external?.syncPasswordKey ?? d.syncPasswordKey,
        {
          type: 'string',
          pattern: SECRET_KEY_PATTERN,
        },
      ),
      sslMode: leaf(
        'sslmode of both connections: disable, require, verify-ca, verify-full; empty: none in the URL (no TLS).',
        external?.sslMode ?? d.sslMode,
        {
          type: 'string',
          enum: [...EXTERNAL_DATABASE_SSL_MODES],
        },
      ),
    },
  };
}

export function chartValues(config: ResolvedPlatformConfig, secretKeys: readonly string[]): ValueTree {
  const settings = chartSettings();
  const ingressHost = {
    type: 'object',
    additionalProperties: false,
    required: ['host'],
    properties: {
      host: {
        type: 'string',
        pattern: DNS_SUBDOMAIN_PATTERN,
        maxLength: 253,
        description: 'Host name without scheme or port.',
      },
      paths: {
        type: 'array',
        minItems: 1,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['path'],
          properties: {
            path: { type: 'string', pattern: '^/' },
            pathType: { type: 'string', enum: ['Prefix', 'Exact', 'ImplementationSpecific'] },
          },
        },
      },
    },
  };
  return {
    nameOverride: leaf('Replaces the chart name in object names and the app.kubernetes.io/name label.', '', {
      type: 'string',
      pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$',
      maxLength: 40,
    }),
    fullnameOverride: leaf(
      'Name of every object instead of <release>-multi-server-kit (at most 40 characters: pod names and labels are built from it).',
      // installed under the configuration's name, the release gets the configuration's object names
      config.name.includes(CHART_NAME) ? '' : config.name,
      { type: 'string', pattern: '^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$', maxLength: 40 },
    ),
    replicaCount: leaf(
      'Number of nodes (pods): each runs the app, the sync service and its own PostgreSQL.',
      config.replicas,
      {
        type: 'integer',
        minimum: 1,
        maximum: MAX_REPLICAS,
      },
    ),
    image: {
      description: 'Images of the three containers of a node.',
      children: {
        app: image('app', config.images.app),
        sync: image('sync', config.images.sync),
        postgres: image('postgres', config.images.postgres),
      },
    },
    app: appValues(config),
    replication: {
      description: 'What the sync services replicate.',
      children: {
        tables: leaf(
          "The app's tables (REPLICATED_TABLES, the same on every node): plain table names of schema public.",
          [...config.replicatedTables],
          {
            type: 'array',
            minItems: 1,
            uniqueItems: true,
            items: { type: 'string', pattern: TABLE_NAME_PATTERN },
          },
        ),
      },
    },
    imagePullSecrets: leaf('Secrets for pulling from a private registry, e.g. [{name: regcred}].', [], {
      type: 'array',
      items: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
    }),
    serviceAccount: {
      description:
        'The pods\' ServiceAccount (with discovery "kubernetes" it is granted read access to EndpointSlices).',
      children: {
        create: leaf('Create the ServiceAccount (else use an existing one named serviceAccount.name).', true, {
          type: 'boolean',
        }),
        name: leaf('Its name; empty: the full name of the release.', '', { type: 'string' }),
        annotations: leaf('Annotations of the ServiceAccount (e.g. a cloud IAM role).', {}, LABEL_MAP),
      },
    },
    podAnnotations: leaf('Annotations of every pod.', {}, LABEL_MAP),
    podLabels: leaf('Extra labels of every pod.', {}, LABEL_MAP),
    resources: {
      description: 'Requests and limits of each container (a Kubernetes ResourceRequirements).',
      children: Object.fromEntries(
        CONTAINERS.map((name) => [
          name,
          leaf(`Of the ${name} container.`, kubernetesResources(config[name].resources), OPEN_OBJECT),
        ]),
      ),
    },
    nodeSelector: leaf('Node labels the pods must run on.', {}, LABEL_MAP),
    tolerations: leaf('Tolerations of the pods.', [], LIST_OF_OBJECTS),
    affinity: leaf(
      'Affinity of the pods; empty: prefer one pod of this release per node (soft anti-affinity).',
      {},
      OPEN_OBJECT,
    ),
    topologySpreadConstraints: leaf(
      'Topology spread constraints of the pods (labelSelector included, as Kubernetes expects).',
      [],
      LIST_OF_OBJECTS,
    ),
    priorityClassName: leaf('PriorityClass of the pods; empty: the cluster default.', '', { type: 'string' }),
    ingress: {
      description: 'The ONE entry point users open: a session cookie is valid on every pod only behind one host name.',
      children: {
        enabled: leaf('Create the Ingress (else expose the <fullname>-app Service yourself, on the same host).', true, {
          type: 'boolean',
        }),
        className: leaf("IngressClass; empty: the cluster's default class.", config.ingressClassName ?? '', {
          type: 'string',
        }),
        annotations: leaf(
          'Annotations of the Ingress (controller options, cert-manager).',
          { ...config.ingressAnnotations },
          LABEL_MAP,
        ),
        hosts: leaf(
          'Exactly one host: NEXTAUTH_URL is made from it (https when tls is set), so it is used even with enabled=false.',
          [{ host: config.host, paths: [{ path: '/', pathType: 'Prefix' }] }],
          { type: 'array', minItems: 1, maxItems: 1, items: ingressHost },
        ),
        tls: leaf(
          'TLS from existing kubernetes.io/tls Secrets, e.g. [{secretName: platform-tls, hosts: [platform.example.com]}]; non-empty makes NEXTAUTH_URL https.',
          config.tls ? [{ hosts: [config.host], secretName: config.tls.secretName }] : [],
          {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              properties: {
                secretName: { type: 'string', pattern: DNS_SUBDOMAIN_PATTERN },
                hosts: { type: 'array', items: { type: 'string' } },
              },
            },
          },
        ),
      },
    },
    persistence: {
      description: "Each node's PostgreSQL volume (the StatefulSet's claim template: it cannot change after install).",
      children: {
        storageClass: leaf(
          'StorageClass of the claims; empty: the cluster default; "-": none (storageClassName "").',
          config.postgres.storageClassName ?? '',
          {
            type: 'string',
          },
        ),
        size: leaf(
          'Size of each claim, e.g. 10Gi. Fixed at install: helm upgrade refuses a change (resize the claims instead).',
          config.postgres.storageSize,
          {
            type: 'string',
            pattern: STORAGE_SIZE_PATTERN,
          },
        ),
        annotations: leaf('Annotations of the claims. Fixed at install, like size.', {}, LABEL_MAP),
      },
    },
    externalDatabase: externalDatabaseValues(config),
    existingSecret: leaf(
      'The Secret holding the shared secrets (never created by the chart: `npm run init` writes one); empty: <fullname>-shared.',
      config.sharedSecretName === `${config.name}-shared` ? '' : config.sharedSecretName,
      { type: 'string', pattern: `^(${DNS_SUBDOMAIN_PATTERN.slice(1, -1)})?$` },
    ),
    secretKeys: {
      description: 'The key in existingSecret that holds each of our secrets, when your Secret names them differently.',
      children: Object.fromEntries(
        secretKeys.map((key) => [key, leaf(`Key of ${key}.`, key, { type: 'string', pattern: SECRET_KEY_PATTERN })]),
      ),
    },
    networkPolicy: {
      description: 'A NetworkPolicy around the pods (enforced only where the network plugin enforces policies).',
      children: {
        enabled: leaf('Create it.', true, { type: 'boolean' }),
        ingressFrom: leaf(
          "Who may open the app port, app.port (NetworkPolicyPeers: the Ingress controller's pods); empty: anyone.",
          peersFrom(config.networkPolicy.appReachableFrom),
          LIST_OF_OBJECTS,
        ),
        metricsFrom: leaf(
          'Who may scrape the metrics ports 9464 and 9465 (NetworkPolicyPeers: Prometheus); empty: anyone.',
          peersFrom(config.networkPolicy.metricsReachableFrom),
          LIST_OF_OBJECTS,
        ),
        egress: leaf(
          "restricted: DNS, the peers' sync port and (discovery kubernetes) the API server only; unrestricted: any egress.",
          config.networkPolicy.egress,
          { type: 'string', enum: ['restricted', 'unrestricted'] },
        ),
      },
    },
    metrics: {
      description:
        'Prometheus metrics: the app on port 9464 (app-metrics), the sync service on 9465 (sync-metrics), path /metrics.',
      children: {
        enabled: leaf(
          'Create the <fullname>-metrics Service (both ports) and let networkPolicy.metricsFrom reach them.',
          true,
          { type: 'boolean' },
        ),
        serviceMonitor: {
          description: 'A Prometheus Operator ServiceMonitor for the metrics Service (needs its CRD).',
          children: {
            enabled: leaf('Create it.', false, { type: 'boolean' }),
            interval: leaf('Scrape interval.', '30s', { type: 'string', pattern: '^[0-9]+(ms|s|m|h)$' }),
            scrapeTimeout: leaf("Scrape timeout; empty: Prometheus's default.", '', {
              type: 'string',
              pattern: '^([0-9]+(ms|s|m|h))?$',
            }),
            labels: leaf(
              'Extra labels, e.g. the release label your Prometheus selects ServiceMonitors by.',
              {},
              LABEL_MAP,
            ),
          },
        },
        prometheusRule: {
          description: 'A PrometheusRule with the alerts of files/prometheus-rules.yaml (needs its CRD).',
          children: {
            enabled: leaf('Create it.', false, { type: 'boolean' }),
            labels: leaf('Extra labels, e.g. the one your Prometheus selects rules by.', {}, LABEL_MAP),
          },
        },
        grafanaDashboard: {
          description:
            "A ConfigMap with the Grafana dashboard of files/grafana-dashboard.json, for Grafana's dashboard sidecar.",
          children: {
            enabled: leaf('Create it.', false, { type: 'boolean' }),
            labels: leaf('Labels the sidecar looks for.', { grafana_dashboard: '1' }, LABEL_MAP),
            annotations: leaf("Annotations (e.g. the sidecar's target folder).", {}, LABEL_MAP),
          },
        },
      },
    },
    discovery: leaf(
      'How sync services find each other: dns (headless Service) or kubernetes (EndpointSlice API, adds a Role).',
      config.discovery,
      {
        type: 'string',
        enum: ['dns', 'kubernetes'],
      },
    ),
    clusterDomain: leaf('DNS suffix of the cluster (in SYNC_DNS_NAME).', config.clusterDomain, {
      type: 'string',
      pattern: DNS_SUBDOMAIN_PATTERN,
    }),
    settings: {
      description:
        "Plain settings of the env contract for every node, as strings (secrets go in the Secret). Unset: the contract's default. " +
        `Allowed: ${settings.map((s) => s.name).join(', ')}.`,
      value: { ...config.settings },
      schema: {
        type: 'object',
        additionalProperties: false,
        properties: Object.fromEntries(settings.map((s) => [s.name, { type: 'string', description: s.help }])),
      },
    },
  };
}

/** values.yaml: every value with its documentation as a comment above it. */
export function valuesYamlText(tree: ValueTree, header: string, yamlOf: (value: unknown) => string): string {
  const lines: string[] = [header.trimEnd(), ''];
  const walk = (node: ValueTree, indent: string) => {
    for (const [key, spec] of Object.entries(node)) {
      for (const line of wrap(spec.description, 110 - indent.length)) lines.push(`${indent}# ${line}`);
      if (spec.children) {
        lines.push(`${indent}${key}:`);
        walk(spec.children, `${indent}  `);
      } else {
        for (const line of yamlOf({ [key]: spec.value })
          .trimEnd()
          .split('\n'))
          lines.push(indent + line);
      }
      if (indent === '') lines.push('');
    }
  };
  walk(tree, '');
  return `${lines.join('\n').trimEnd()}\n`;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + word.length + 1 > width) {
      out.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(line);
  return out;
}

/** JSON Schema of the values: open where Kubernetes types are free-form, closed over the chart's own keys. */
export function valuesSchemaOf(tree: ValueTree, title: string): Record<string, unknown> {
  const objectOf = (node: ValueTree): Record<string, unknown> => ({
    type: 'object',
    additionalProperties: false,
    properties: Object.fromEntries(
      Object.entries(node).map(([key, spec]) => [
        key,
        spec.children
          ? { ...objectOf(spec.children), description: spec.description }
          : { ...spec.schema, description: spec.description },
      ]),
    ),
  });
  const root = objectOf(tree);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    title,
    ...root,
    // Helm adds `global` when the chart is used as a dependency
    properties: {
      ...(root.properties as object),
      global: { type: 'object', description: 'Helm global values (unused by this chart).' },
    },
  };
}

/** Rows (path, default, description) of every leaf, for the chart's README. */
export function valueRows(tree: ValueTree): { path: string; value: string; description: string }[] {
  const rows: { path: string; value: string; description: string }[] = [];
  const walk = (node: ValueTree, prefix: string) => {
    for (const [key, spec] of Object.entries(node)) {
      if (spec.children) walk(spec.children, `${prefix}${key}.`);
      else rows.push({ path: `${prefix}${key}`, value: JSON.stringify(spec.value), description: spec.description });
    }
  };
  walk(tree, '');
  return rows;
}
