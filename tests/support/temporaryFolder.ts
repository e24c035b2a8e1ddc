/** A fresh temporary folder for each test of the describe block that calls it. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Made before each test (named `<prefix>XXXXXX` in the system's temporary folder), removed after it. */
export function temporaryFolderPerTest(prefix: string): () => string {
  let folder: string | undefined;
  beforeEach(() => {
    folder = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => {
    if (folder) rmSync(folder, { recursive: true, force: true });
  });
  return () => {
    if (!folder) throw new Error(`the temporary folder ${prefix}… exists only while a test runs`);
    return folder;
  };
}
