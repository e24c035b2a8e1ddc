export { parseEnvFile, formatEnvFile, type EnvEntry, type EnvSyntaxError, type ParsedEnvFile } from './parseEnvFile';
