/** Runs a docs block in bash, with our helm and kubectl on PATH and the documented variables set; returns its output. */
import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './testManifests';

const execFileAsync = promisify(execFile);

export async function runDocs(commands: readonly string[], variables: Record<string, string>, cwd = REPO_ROOT): Promise<string> {
  const script = ['set -euo pipefail', ...commands].join('\n');
  const tools = [dirname(process.env.MSK_HELM as string), dirname(process.env.MSK_KUBECTL as string)];
  const env = { PATH: [...tools, process.env.PATH].join(':'), HOME: process.env.HOME ?? '/root', KUBECONFIG: process.env.MSK_KUBECONFIG as string, ...variables };
  try {
    const { stdout, stderr } = await execFileAsync('bash', ['-c', script], { cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return stdout + stderr;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`docs block (${commands[0]} …) failed: ${failed.message}\n${failed.stdout ?? ''}${failed.stderr ?? ''}`);
  }
}
