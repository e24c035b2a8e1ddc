import { createHmac } from 'node:crypto';
import { appBuildReport, KEY_CHECK_LABEL, serverActionsKeyCheck } from './buildIdentity';

const key = Buffer.alloc(32, 7).toString('base64');
const files = (
  overrides: Partial<{ buildId: string; requiredServerFiles: string; serverReferenceManifest: string }> = {},
) => ({
  buildId: 'build-TfctsWXpff2fKS\n',
  requiredServerFiles: JSON.stringify({ config: { deploymentId: 'msk-app-0-1-0' } }),
  serverReferenceManifest: JSON.stringify({ node: {}, edge: {}, encryptionKey: key }),
  ...overrides,
});

describe('appBuildReport', () => {
  it('names the build, the deployment and a check value of the Server Actions key, never the key', () => {
    const report = appBuildReport(files());
    expect(report).toEqual({
      buildId: 'build-TfctsWXpff2fKS',
      deploymentId: 'msk-app-0-1-0',
      serverActionsKeyCheck: createHmac('sha256', Buffer.alloc(32, 7)).update(KEY_CHECK_LABEL).digest('hex'),
    });
    expect(JSON.stringify(report)).not.toContain(key);
  });

  it('gives another check value for another key', () => {
    expect(serverActionsKeyCheck(key)).not.toBe(serverActionsKeyCheck(Buffer.alloc(32, 8).toString('base64')));
  });

  it('says which file is wrong when the build output is not what it expects', () => {
    expect(() => appBuildReport(files({ serverReferenceManifest: '{}' }))).toThrow(
      'server-reference-manifest.json has no encryptionKey',
    );
    expect(() => appBuildReport(files({ buildId: '<script>' }))).toThrow('.next/BUILD_ID is not a build ID');
  });

  it('has no deployment ID when the build was made without one', () => {
    expect(appBuildReport(files({ requiredServerFiles: '{"config":{}}' })).deploymentId).toBeNull();
  });
});
