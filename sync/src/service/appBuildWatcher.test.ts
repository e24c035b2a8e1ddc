import { deriveClusterKeys } from '../core/clusterKeys';
import { AppBuildNotReportedError, AppBuildWatcher, appBuildUrl, type AppBuildState } from './appBuildWatcher';

const keys = deriveClusterKeys('k'.repeat(64));
const report = (buildId: string) => ({ buildId, deploymentId: null, serverActionsKeyCheck: 'cd'.repeat(32) });

/** A watcher whose app answers each of `answers` in turn (a build ID or an error), polled once per answer. */
async function pollEach(answers: (string | Error)[], url = 'http://127.0.0.1:8080/api/build') {
  const polls: [AppBuildState, boolean][] = [];
  const watcher = new AppBuildWatcher({
    url,
    keys,
    now: () => 5,
    fetchBuild: async () => {
      const next = answers.shift() as string | Error;
      if (next instanceof Error) throw next;
      return report(next);
    },
    onPoll: (state, changed) => polls.push([state, changed]),
  });
  for (let i = answers.length; i > 0; i--) await watcher.poll();
  return { watcher, polls };
}

describe('appBuildUrl', () => {
  it('asks the app on the sync bind address, or on loopback when the service listens everywhere', () => {
    expect(appBuildUrl('127.0.0.2', 8080)).toBe('http://127.0.0.2:8080/api/build');
    expect(appBuildUrl('0.0.0.0', 8081)).toBe('http://127.0.0.1:8081/api/build');
    expect(appBuildUrl('::', 8080)).toBe('http://[::1]:8080/api/build');
    expect(appBuildUrl('fd00::5', 8080)).toBe('http://[fd00::5]:8080/api/build');
  });
});

describe('AppBuildWatcher', () => {
  it('reports a change only when the build changes, and keeps the last known build while the app does not answer', async () => {
    const answers: (string | Error)[] = ['b1', 'b1', new Error('GET x: fetch failed'), 'b2'];
    const { watcher, polls } = await pollEach(answers);
    expect(polls.map(([state, changed]) => [state.build?.buildId, changed, state.lastError])).toEqual([
      ['b1', true, null],
      ['b1', false, null],
      ['b1', false, 'GET x: fetch failed'],
      ['b2', true, null],
    ]);
    await watcher.stop();
  });

  it("says the build is not reported when the app answers without one (a team's own app), and forgets the build known before", async () => {
    const url = 'http://127.0.0.1:8080/api/build';
    const answers: (string | Error)[] = [
      'b1',
      new AppBuildNotReportedError(url, 404),
      new AppBuildNotReportedError(url, 404),
      new Error('GET x: answered an unexpected build document'),
    ];
    const { watcher, polls } = await pollEach(answers, url);
    expect(
      polls.map(([state, changed]) => [state.build?.buildId ?? null, state.reported, changed, state.lastError]),
    ).toEqual([
      ['b1', true, true, null],
      [null, false, true, null],
      [null, false, false, null],
      // a malformed answer is refused as an error, not taken for "no build endpoint"
      [null, false, false, 'GET x: answered an unexpected build document'],
    ]);
    await watcher.stop();
  });
});
