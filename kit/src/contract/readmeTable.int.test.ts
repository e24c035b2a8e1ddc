import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withConfigurationTable } from './configurationTable';

describe('the README configuration table', () => {
  it('is exactly what the contract generates (run `npm run docs:env` after changing a variable)', () => {
    const readme = readFileSync(join(__dirname, '..', '..', '..', 'README.md'), 'utf8');
    expect(readme).toBe(withConfigurationTable(readme));
  });
});
