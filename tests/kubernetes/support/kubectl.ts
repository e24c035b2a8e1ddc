/**
 * The kubectl and helm we built (.ci/kubernetes/build.sh), run against the cluster that .ci/kubernetes/up.sh
 * started. globalSetup hands their paths and the admin kubeconfig to the test files through the environment.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
const OUTPUT_LIMIT_BYTES = 64 * 1024 * 1024;

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class CommandError extends Error {
  constructor(
    readonly command: string,
    readonly result: CommandResult,
  ) {
    super(`${command}: exit ${result.exitCode}\n${result.stderr.trim() || result.stdout.trim()}`);
  }
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the kubernetes tests with \`npm run test:kubernetes\` (its globalSetup sets it)`);
  return value;
}

async function run(binary: string, args: readonly string[], env: NodeJS.ProcessEnv, input?: string): Promise<CommandResult> {
  if (input === undefined) {
    try {
      const { stdout, stderr } = await execFileAsync(binary, args, { env, maxBuffer: OUTPUT_LIMIT_BYTES, encoding: 'utf8' });
      return { exitCode: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number | string; stdout?: string; stderr?: string };
      if (typeof failed.code !== 'number') throw error;
      return { exitCode: failed.code, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  }
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ exitCode: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** One binary (kubectl or helm) bound to the test cluster's kubeconfig. */
export class ClusterTool {
  private readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly name: string,
    readonly binary: string,
    kubeconfig: string,
  ) {
    // Helm keeps caches and repositories under HOME/XDG dirs: the tests give it nothing of the user's.
    this.env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', KUBECONFIG: kubeconfig };
  }

  /** Runs the tool; a non-zero exit becomes an error with its stderr. */
  async ok(args: readonly string[], input?: string): Promise<string> {
    const result = await run(this.binary, args, this.env, input);
    if (result.exitCode !== 0) throw new CommandError(`${this.name} ${args.join(' ')}`, result);
    return result.stdout;
  }

  /** Runs the tool and returns what happened, for tests that expect a refusal. */
  attempt(args: readonly string[], input?: string): Promise<CommandResult> {
    return run(this.binary, args, this.env, input);
  }

  async json<T>(args: readonly string[]): Promise<T> {
    return JSON.parse(await this.ok([...args, '-o', 'json'])) as T;
  }
}

export function kubectl(): ClusterTool {
  return new ClusterTool('kubectl', requiredEnv('MSK_KUBECTL'), requiredEnv('MSK_KUBECONFIG'));
}

export function helm(): ClusterTool {
  return new ClusterTool('helm', requiredEnv('MSK_HELM'), requiredEnv('MSK_KUBECONFIG'));
}
