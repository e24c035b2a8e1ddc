/**
 * THE file an operator edits for Kubernetes: every knob of the deployment, typed and checked (see platformConfigTypes.ts for
 * what each field means and its default). Then `npm run synth` regenerates kubernetes/ and charts/ — commit both.
 *
 * Secrets do not belong here: `npm run init` writes the shared Secret (deploy/kubernetes-secret.yaml, git-ignored)
 * and the manifests only reference it by name (sharedSecretName).
 */
import type { PlatformConfig } from './platformConfigTypes';

export const platformConfig: PlatformConfig = {
  name: 'multi-server-kit',
  namespace: 'multi-server-kit',
  replicas: 2,
  // the one host users open; with TLS, NEXTAUTH_URL becomes https://<host>
  host: 'platform.example.com',
  // tls: { secretName: 'platform-example-com-tls' },
  // ingressClassName: 'nginx',
  sharedSecretName: 'multi-server-kit-shared',
  images: {
    app: { repository: 'multi-server-kit/app', tag: '0.1.0' },
    sync: { repository: 'multi-server-kit/sync', tag: '0.1.0' },
    postgres: { repository: 'postgres', tag: '17.6-bookworm' },
  },
  postgres: { storageSize: '10Gi' },
  discovery: 'dns',
  networkPolicy: { appReachableFrom: { namespace: 'ingress-nginx' }, egress: 'restricted' },
  // Whose X-Forwarded-For the app believes: the ingress controller's pods (the network policy above lets only them
  // reach the app). Narrow it to your cluster's pod CIDR.
  settings: { TRUSTED_PROXIES: '10.0.0.0/8,172.16.0.0/12,192.168.0.0/16' },
};
