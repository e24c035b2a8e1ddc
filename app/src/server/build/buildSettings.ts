/**
 * What `next build` takes from its environment. Pure: the environment comes in as a parameter, and values are
 * checked with the env contract's own rules (never echoed: the Server Actions key is a secret).
 */
import { checkValue, type Environment, variable } from '@msk/contract';

/** Next.js allows only these characters in a deployment ID. */
const DEPLOYMENT_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/** A deployment ID that is the same for every build of one version, e.g. `msk-app-0-1-0`. */
export function deploymentIdForVersion(version: string): string {
  return `msk-app-${version.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

export interface BuildTimeReport {
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

export function buildTimeProblems(env: Environment): BuildTimeReport {
  const errors: string[] = [];
  const warnings: string[] = [];
  const key = env.NEXT_SERVER_ACTIONS_ENCRYPTION_KEY;
  const spec = variable('NEXT_SERVER_ACTIONS_ENCRYPTION_KEY');
  if (key === undefined || key === '') {
    warnings.push(
      'NEXT_SERVER_ACTIONS_ENCRYPTION_KEY is not set: this build draws its own Server Actions key, so a separate ' +
        'build of the same version will not accept its Server Actions (HTTP 409 behind a load balancer). ' +
        `Fix: ${spec.fix}.`,
    );
  } else {
    for (const problem of checkValue(spec, key)) {
      const line = `${problem.variable} ${problem.message}. Fix: ${problem.fix}.`;
      (problem.severity === 'error' ? errors : warnings).push(line);
    }
  }
  const deploymentId = env.NEXT_DEPLOYMENT_ID;
  if (deploymentId !== undefined && deploymentId !== '' && !DEPLOYMENT_ID_PATTERN.test(deploymentId)) {
    errors.push(
      'NEXT_DEPLOYMENT_ID may only contain letters, digits, "-" and "_". ' +
        'Fix: use the release version, e.g. NEXT_DEPLOYMENT_ID=msk-app-1-4-0, the same for every build of it.',
    );
  }
  return { errors, warnings };
}
