import { deriveClusterKeys } from './clusterKeys';
import { appBuildIdentity, appBuildReportSchema, appBuildsAgree, shortAppBuild } from './appBuild';

const report = {
  buildId: 'build-TfctsWXpff2fKS',
  deploymentId: 'msk-app-0-1-0',
  serverActionsKeyCheck: 'ab'.repeat(32),
};

describe('appBuildIdentity', () => {
  it('keys the Server Actions key check with the cluster key, so another cluster gets another fingerprint', () => {
    const ours = appBuildIdentity(report, deriveClusterKeys('k'.repeat(64)));
    const theirs = appBuildIdentity(report, deriveClusterKeys('x'.repeat(64)));
    expect(ours.serverActionsKeyFingerprint).toMatch(/^[0-9a-f]{32}$/);
    expect(ours.serverActionsKeyFingerprint).not.toBe(theirs.serverActionsKeyFingerprint);
    expect(JSON.stringify(ours)).not.toContain(report.serverActionsKeyCheck);
    expect(ours).toMatchObject({ buildId: report.buildId, deploymentId: report.deploymentId });
  });

  it('names a build by its ID and the first 8 characters of the key fingerprint', () => {
    const identity = appBuildIdentity(report, deriveClusterKeys('k'.repeat(64)));
    expect(shortAppBuild(identity)).toBe(
      `build-TfctsWXpff2fKS, key ${identity.serverActionsKeyFingerprint.slice(0, 8)}`,
    );
  });

  it('treats an unknown build as agreeing with any build', () => {
    const identity = appBuildIdentity(report, deriveClusterKeys('k'.repeat(64)));
    expect(appBuildsAgree(identity, null)).toBe(true);
    expect(appBuildsAgree(undefined, identity)).toBe(true);
    expect(appBuildsAgree(identity, { ...identity, buildId: 'other' })).toBe(false);
  });
});

describe('appBuildReportSchema', () => {
  it('refuses hostile answers: extra fields, odd characters, wrong lengths', () => {
    expect(appBuildReportSchema.safeParse(report).success).toBe(true);
    expect(appBuildReportSchema.safeParse({ ...report, key: 'x' }).success).toBe(false);
    expect(appBuildReportSchema.safeParse({ ...report, buildId: 'a b' }).success).toBe(false);
    expect(appBuildReportSchema.safeParse({ ...report, buildId: 'a'.repeat(129) }).success).toBe(false);
    expect(appBuildReportSchema.safeParse({ ...report, serverActionsKeyCheck: 'AB'.repeat(32) }).success).toBe(false);
  });
});
