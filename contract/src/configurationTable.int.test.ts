import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIGURATION_PAGE, withConfigurationTable } from './configurationTable';

describe('the configuration table of docs/configuration.md', () => {
  it('is exactly what the contract generates (run `npm run docs:env` after changing a variable)', () => {
    const page = readFileSync(join(__dirname, '..', '..', CONFIGURATION_PAGE), 'utf8');
    expect(page).toBe(withConfigurationTable(page));
  });
});
