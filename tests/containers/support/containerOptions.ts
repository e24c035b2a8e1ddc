/**
 * Container settings Testcontainers 11 has no builder method for, applied to its HostConfig before start():
 * Docker's init as PID 1 (compose `init: true`), a read-only root filesystem (the Kubernetes manifests'
 * readOnlyRootFilesystem), and published ports bound to one loopback address instead of every interface.
 */
import type { GenericContainer } from 'testcontainers';

interface PortBinding {
  HostIp?: string;
  HostPort?: string;
}

interface HostConfigFields {
  Init?: boolean;
  ReadonlyRootfs?: boolean;
  PortBindings?: Record<string, PortBinding[]>;
}

function hostConfigOf(container: GenericContainer): HostConfigFields {
  // `hostConfig` is protected in GenericContainer; this module is the one place that reaches into it.
  return (container as unknown as { hostConfig: HostConfigFields }).hostConfig;
}

export function withInit<T extends GenericContainer>(container: T): T {
  hostConfigOf(container).Init = true;
  return container;
}

export function withReadOnlyRootFilesystem<T extends GenericContainer>(container: T): T {
  hostConfigOf(container).ReadonlyRootfs = true;
  return container;
}

/** Call after every withExposedPorts: binds each published port to `address` (host port still chosen by Docker). */
export function publishedOnlyOn<T extends GenericContainer>(container: T, address: string): T {
  const bindings = hostConfigOf(container).PortBindings ?? {};
  for (const port of Object.keys(bindings)) {
    bindings[port] = (bindings[port] ?? []).map((binding) => ({ ...binding, HostIp: address }));
  }
  return container;
}
