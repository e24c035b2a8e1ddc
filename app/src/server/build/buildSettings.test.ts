import { buildTimeProblems, deploymentIdForVersion } from './buildSettings';

const GOOD_KEY = Buffer.alloc(32, 7).toString('base64');

describe('build settings', () => {
  it('derives the same deployment ID for every build of one version, in the characters Next.js accepts', () => {
    expect(deploymentIdForVersion('0.1.0')).toBe('msk-app-0-1-0');
    expect(deploymentIdForVersion('1.2.3-rc.1')).toBe('msk-app-1-2-3-rc-1');
    expect(deploymentIdForVersion('1.2.3-rc.1')).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('warns that builds will not share Server Actions when NEXT_SERVER_ACTIONS_ENCRYPTION_KEY is unset', () => {
    const report = buildTimeProblems({});
    expect(report.errors).toEqual([]);
    expect(report.warnings).toHaveLength(1);
    expect(report.warnings[0]).toMatch(/NEXT_SERVER_ACTIONS_ENCRYPTION_KEY is not set/);
  });

  it('accepts a base64 key of 32 bytes without warnings', () => {
    expect(buildTimeProblems({ NEXT_SERVER_ACTIONS_ENCRYPTION_KEY: GOOD_KEY })).toEqual({ errors: [], warnings: [] });
  });

  it('refuses a key of the wrong size and never repeats the key in the message', () => {
    const badKey = Buffer.from('0123456789').toString('base64');
    const report = buildTimeProblems({ NEXT_SERVER_ACTIONS_ENCRYPTION_KEY: badKey });
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toMatch(/NEXT_SERVER_ACTIONS_ENCRYPTION_KEY must decode to 16, 24, 32 bytes, got 10/);
    expect(report.errors.join('\n')).not.toContain(badKey);
  });

  it('refuses a NEXT_DEPLOYMENT_ID with characters Next.js rejects', () => {
    const report = buildTimeProblems({ NEXT_SERVER_ACTIONS_ENCRYPTION_KEY: GOOD_KEY, NEXT_DEPLOYMENT_ID: 'v1.4.0' });
    expect(report.errors).toEqual([expect.stringMatching(/^NEXT_DEPLOYMENT_ID may only contain/)]);
  });
});
