/** `npm run docs:env`: rewrites the README's configuration table from the contract. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { withConfigurationTable } from '../contract';

const readme = join(__dirname, '..', '..', '..', 'README.md');
writeFileSync(readme, withConfigurationTable(readFileSync(readme, 'utf8')));
process.stdout.write(`updated the configuration table in ${readme}\n`);
