// The Kubernetes API calls of the k3s test, through @kubernetes/client-node. A separate process because that
// package is ESM-only and Jest's module loader cannot require it.
//
//   node kubernetesClient.mjs apply <kubeconfig> <namespace> <manifest.yaml>...
//   node kubernetesClient.mjs wait-ready <kubeconfig> <namespace> <statefulset> <replicas> <timeoutMs>
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import * as k8s from '@kubernetes/client-node';

const [command, kubeconfigPath, namespace, ...rest] = process.argv.slice(2);
const kubeConfig = new k8s.KubeConfig();
kubeConfig.loadFromFile(kubeconfigPath);

function statusCodeOf(error) {
  return error?.code ?? error?.statusCode ?? error?.response?.statusCode;
}

async function apply(files) {
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  await core.createNamespace({ body: { metadata: { name: namespace } } }).catch((error) => {
    if (statusCodeOf(error) !== 409) throw error;
  });
  const objects = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
  for (const file of files) {
    for (const spec of k8s.loadAllYaml(readFileSync(file, 'utf8'))) {
      if (!spec?.kind) continue;
      spec.metadata = { ...spec.metadata, namespace: spec.metadata?.namespace ?? namespace };
      await objects.create(spec);
      console.log(`created ${spec.kind} ${spec.metadata.namespace}/${spec.metadata.name}`);
    }
  }
}

async function waitReady(name, replicas, timeoutMs) {
  const apps = kubeConfig.makeApiClient(k8s.AppsV1Api);
  const core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const statefulSet = await apps.readNamespacedStatefulSet({ name, namespace });
    if ((statefulSet.status?.readyReplicas ?? 0) >= replicas) {
      console.log(`statefulset ${namespace}/${name}: ${statefulSet.status.readyReplicas} ready`);
      return;
    }
    await sleep(2000);
  }
  const pods = await core.listNamespacedPod({ namespace });
  for (const pod of pods.items) {
    const containers = (pod.status?.containerStatuses ?? []).map(
      (c) => `${c.name}: ready=${c.ready} restarts=${c.restartCount} ${JSON.stringify(c.state)}`,
    );
    console.error(`${pod.metadata?.name} ${pod.status?.phase}\n  ${containers.join('\n  ')}`);
  }
  throw new Error(`statefulset ${namespace}/${name}: fewer than ${replicas} ready replicas within ${timeoutMs} ms`);
}

try {
  if (command === 'apply') await apply(rest);
  else if (command === 'wait-ready') await waitReady(rest[0], Number(rest[1]), Number(rest[2]));
  else throw new Error(`unknown command ${command}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
