/** Labels of the objects of one installation. The selector labels never change (a StatefulSet's selector is immutable). */
import type { ResolvedPlatformConfig } from './platformConfigTypes';

export const PART_OF = 'multi-server-kit';

/** Which labels the objects get: the plain manifests' own, or (for the Helm chart) stand-ins the chart's helpers replace. */
export interface LabelScheme {
  /** Selects the pods of one installation: StatefulSet, Services, PodDisruptionBudget, NetworkPolicy, anti-affinity. */
  readonly selector: Readonly<Record<string, string>>;
  /** On every object (cdk8s Chart labels). */
  readonly common: Readonly<Record<string, string>>;
}

export function selectorLabels(config: Pick<ResolvedPlatformConfig, 'name'>): Record<string, string> {
  return { 'app.kubernetes.io/name': PART_OF, 'app.kubernetes.io/instance': config.name };
}

export function commonLabels(config: Pick<ResolvedPlatformConfig, 'name'>): Record<string, string> {
  return { ...selectorLabels(config), 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': 'cdk8s' };
}

export function manifestLabels(config: Pick<ResolvedPlatformConfig, 'name'>): LabelScheme {
  return { selector: selectorLabels(config), common: commonLabels(config) };
}
