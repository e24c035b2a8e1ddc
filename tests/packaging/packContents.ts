// What the tarball of a publishable workspace must hold: the outputs of its production project (tsconfig.json, which
// excludes tests, test support and benches), JavaScript and type declarations, plus the files npm always adds. Read
// with TypeScript's own config parser, as .ci/containers/stage-build-context.mjs stages the sync image.
import { join, relative } from 'node:path';
import ts from 'typescript';
import { REPOSITORY_ROOT } from '../support/docsCommands';

/** npm adds these whatever `files` says. */
const ALWAYS_PACKED = ['LICENSE', 'README.md', 'package.json'];

export function expectedPackFiles(workspace: 'contract' | 'kit' | 'replication' | 'sync'): string[] {
  const configPath = join(REPOSITORY_ROOT, workspace, 'tsconfig.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(`${configPath}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`);
      },
    },
  );
  if (!parsed || parsed.errors.length > 0) throw new Error(`${configPath} does not parse`);
  const rootDir = parsed.options.rootDir as string;
  const outDir = relative(join(REPOSITORY_ROOT, workspace), parsed.options.outDir as string);
  const outputs = parsed.fileNames
    .filter((source) => !source.endsWith('.d.ts'))
    .flatMap((source) => {
      const stem = join(outDir, relative(rootDir, source)).replace(/\.tsx?$/, '');
      return [`${stem}.js`, `${stem}.d.ts`];
    });
  return [...outputs, ...ALWAYS_PACKED].sort();
}
