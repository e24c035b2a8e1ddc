/** `npm run docs:env`: rewrites the configuration table of docs/configuration.md from the contract. */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIGURATION_PAGE, withConfigurationTable } from '@msk/contract';

const page = join(__dirname, '..', '..', '..', CONFIGURATION_PAGE);
writeFileSync(page, withConfigurationTable(readFileSync(page, 'utf8')));
process.stdout.write(`updated the configuration table in ${page}\n`);
