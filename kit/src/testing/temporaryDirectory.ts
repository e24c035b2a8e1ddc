import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A fresh directory for each test of the enclosing describe block, removed after it; call inside `describe` and
 * read the returned function inside a test.
 */
export function useTemporaryDirectory(prefix: string): () => string {
  let dir: string | undefined;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return () => {
    if (!dir) throw new Error('useTemporaryDirectory: read the directory inside a test');
    return dir;
  };
}
