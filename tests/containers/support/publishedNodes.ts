/**
 * A two-node compose project brought up for a test, with each node's app published on the container host beside the
 * entry point (fixtures/compose.publish-nodes.yml), and what such tests share: a free entry point, log tails.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { DockerComposeEnvironment, type StartedTestContainer } from 'testcontainers';
import { freePort } from '@msk/kit/testing';
import { eventually } from '../../support/eventually';
import { type DeployFolder, type PinnedImages, composeVariables, pinProjectImages } from './composeProject';
import { COMPOSE_DIR, SERVICE_STATUS_COMMAND, containerHostAddress } from './containerSettings';

/** An address and free port on the container host for a compose project's entry point (ENTRY_POINT_PUBLISH). */
export async function freeEntryPoint(): Promise<{
  readonly address: string;
  readonly publish: string;
  readonly url: string;
}> {
  const address = containerHostAddress();
  const port = await freePort(address);
  return { address, publish: `${address}:${port}`, url: `http://${address}:${port}` };
}

/** The last 25 lines of each service's log in a compose project (Compose names containers <project>-<service>-1). */
export function composeLogTails(project: string, services: readonly string[]): string {
  return services
    .map((service) => {
      const log = spawnSync('docker', ['logs', '--tail', '25', `${project}-${service}-1`], { encoding: 'utf8' });
      return `--- ${service} ---\n${log.stdout}${log.stderr}`;
    })
    .join('\n');
}

export interface PublishedNodesProps {
  readonly project: string;
  /** The folder `npm run init` wrote for the entry point's URL (a test may add files to it); removed with the project. */
  readonly deploy: (entryUrl: string) => DeployFolder;
  /** Compose variables beyond where init wrote, the pinned images and where to publish. @default none */
  readonly variables?: Record<string, string>;
  /** The app's port in its container, published on each node. @default 8080 */
  readonly appPort?: number;
  /** Services whose last log lines explain a failed `up`. */
  readonly logServices: readonly string[];
}

export interface StartedPublishedNodes {
  readonly entryUrl: string;
  readonly deploy: DeployFolder;
  readonly images: PinnedImages;
  /** Compose names containers <project>-<service>-<n>. */
  containerName(service: string): string;
  container(service: string): StartedTestContainer;
  /** Node `n`'s app, published on the container host by fixtures/compose.publish-nodes.yml. */
  nodeUrl(n: number): string;
  /** Resolves once `service:status` in each sync container says "Peers Connected: 1"; fails after timeoutMs. */
  syncPeersConnected(timeoutMs: number): Promise<void>;
  /** Down, then the pinned images and the deploy folder removed. */
  stop(): Promise<void>;
}

/**
 * compose/docker-compose.yml brought up (DockerComposeEnvironment, waiting for every service) with the deploy folder
 * `props.deploy` writes, this run's pinned images, the entry point on a free port of the container host, and the
 * test's overlay that publishes each node's app there too. What it made is removed again when `up` fails.
 */
export async function startPublishedNodes(props: PublishedNodesProps): Promise<StartedPublishedNodes> {
  const entry = await freeEntryPoint();
  const deploy = props.deploy(entry.url);
  const images = pinProjectImages();
  const environment = await new DockerComposeEnvironment(COMPOSE_DIR, [
    'docker-compose.yml',
    join(__dirname, '..', 'fixtures', 'compose.publish-nodes.yml'),
  ])
    .withProjectName(props.project)
    .withEnvironment(
      composeVariables(deploy.dir, {
        ENTRY_POINT_PUBLISH: entry.publish,
        NODE_PUBLISH_ADDRESS: entry.address,
        MSK_REGISTRY: images.registry,
        ...props.variables,
      }),
    )
    .up()
    .catch((error: unknown) => {
      images.remove();
      deploy.remove();
      throw new Error(
        `${error instanceof Error ? error.message : String(error)}\n${composeLogTails(props.project, props.logServices)}`,
      );
    });
  const container = (service: string) => environment.getContainer(`${service}-1`);
  return {
    entryUrl: entry.url,
    deploy,
    images,
    containerName: (service) => `${props.project}-${service}-1`,
    container,
    nodeUrl(n) {
      const holder = container(`node-${n}`);
      return `http://${holder.getHost()}:${holder.getMappedPort(props.appPort ?? 8080)}`;
    },
    async syncPeersConnected(timeoutMs) {
      for (const service of ['sync-1', 'sync-2']) {
        await eventually(
          async () => {
            const { exitCode, output } = await container(service).exec(SERVICE_STATUS_COMMAND);
            if (exitCode !== 0 || !output.includes('Peers Connected: 1')) throw new Error(output);
          },
          { what: `service:status in ${service} showing "Peers Connected: 1"`, timeoutMs },
        );
      }
    },
    async stop() {
      await environment.down();
      images.remove();
      deploy.remove();
    },
  };
}
