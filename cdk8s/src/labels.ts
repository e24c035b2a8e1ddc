/** Labels of the objects of one installation. The selector labels never change (a StatefulSet's selector is immutable). */
import type { ResolvedPlatformConfig } from './config';

export const PART_OF = 'multi-server-kit';

/** Selects the pods of one installation: StatefulSet, Services, PodDisruptionBudget, NetworkPolicy, anti-affinity. */
export function selectorLabels(config: Pick<ResolvedPlatformConfig, 'name'>): Record<string, string> {
  return { 'app.kubernetes.io/name': PART_OF, 'app.kubernetes.io/instance': config.name };
}

/** On every object (cdk8s Chart labels). */
export function commonLabels(config: Pick<ResolvedPlatformConfig, 'name'>): Record<string, string> {
  return { ...selectorLabels(config), 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': 'cdk8s' };
}
