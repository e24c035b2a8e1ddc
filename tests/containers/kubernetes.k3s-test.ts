/**
 * The synthesized manifests (kubernetes/multi-server-kit.yaml) applied with @kubernetes/client-node to a real k3s
 * running in a container, with the project's images loaded into it. NOT part of `npm test`: it needs a
 * rancher/k3s image on this machine, and no registry is reachable on the CI machines to pull one. Run it where
 * one is with `npm run test:k3s` (MSK_K3S_IMAGE chooses the image); without one it fails, saying how to get it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { K3sContainer, type StartedK3sContainer } from '@testcontainers/k3s';
import { initDeployFolder } from './support/composeProject';
import { publishedOnlyOn } from './support/containerOptions';
import { APP_IMAGE, REPO_ROOT, SYNC_IMAGE, containerHostAddress } from './support/containerSettings';
import { eventually } from '../support/eventually';

const NAMESPACE = 'multi-server-kit';
const STATEFUL_SET = 'multi-server-kit';
const READY_TIMEOUT_MS = 300_000;
const KUBERNETES_CLIENT = join(__dirname, 'support', 'kubernetesClient.mjs');

function localK3sImage(): string | undefined {
  if (process.env.MSK_K3S_IMAGE) return process.env.MSK_K3S_IMAGE;
  const listed = execFileSync('docker', ['image', 'ls', '--format', '{{.Repository}}:{{.Tag}}', 'rancher/k3s'], { encoding: 'utf8' });
  return listed.split('\n').find((line) => line !== '' && !line.endsWith(':<none>'));
}

function kubernetesClient(args: string[]): void {
  execFileSync(process.execPath, [KUBERNETES_CLIENT, ...args], { cwd: REPO_ROOT, stdio: 'inherit' });
}

it('applies the synthesized manifests to k3s: both pods become ready and each sync service shows "Peers Connected: 1"', async () => {
  const image = localK3sImage();
  if (!image) {
    throw new Error('no rancher/k3s image on this machine: `docker pull rancher/k3s:<tag>` (or set MSK_K3S_IMAGE to a local k3s image), then run again');
  }
  const work = mkdtempSync(join(tmpdir(), 'msk-k3s-'));
  const deploy = initDeployFolder({ publicUrl: 'http://platform.example.com' });
  let k3s: StartedK3sContainer | undefined;
  try {
    // k3s imports every image archive in this folder when it starts: the project's images cannot be pulled.
    const images = join(work, 'multi-server-kit-images.tar');
    execFileSync('docker', ['save', '-o', images, APP_IMAGE, SYNC_IMAGE]);
    const address = containerHostAddress();
    k3s = await publishedOnlyOn(
      new K3sContainer(image)
        .withCommand(['server', '--disable=traefik', `--tls-san=${address}`])
        .withCopyFilesToContainer([{ source: images, target: '/var/lib/rancher/k3s/agent/images/multi-server-kit-images.tar' }]),
      address,
    ).start();
    const kubeconfig = join(work, 'kubeconfig.yaml');
    writeFileSync(kubeconfig, k3s.getKubeConfig(), { mode: 0o600 });

    kubernetesClient(['apply', kubeconfig, NAMESPACE, join(deploy.dir, 'kubernetes-secret.yaml'), join(REPO_ROOT, 'kubernetes', 'multi-server-kit.yaml')]);
    kubernetesClient(['wait-ready', kubeconfig, NAMESPACE, STATEFUL_SET, '2', String(READY_TIMEOUT_MS)]);

    const cluster = k3s;
    for (const pod of [`${STATEFUL_SET}-0`, `${STATEFUL_SET}-1`]) {
      await eventually(
        async () => {
          const { output } = await cluster.exec(['kubectl', '-n', NAMESPACE, 'exec', pod, '-c', 'sync', '--', 'node', 'sync/dist/cli/main.js', 'status']);
          if (!output.includes('Peers Connected: 1')) throw new Error(output);
        },
        { what: `service:status in pod ${pod} showing "Peers Connected: 1"`, timeoutMs: 60_000 },
      );
    }
  } finally {
    await k3s?.stop();
    deploy.remove();
    rmSync(work, { recursive: true, force: true });
  }
}, READY_TIMEOUT_MS + 180_000);
