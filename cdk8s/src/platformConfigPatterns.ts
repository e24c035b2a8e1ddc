/**
 * The rules of the configuration's text fields as patterns. They are strings too: the Helm chart's values.schema.json
 * uses them, so helm refuses what the synth refuses (Go RE2 syntax: no lookarounds here).
 */
import { TABLE_NAME_PATTERN as TABLE_NAME } from '@msk/contract';

export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
export const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
export const IMAGE_REPOSITORY_PATTERN =
  '^(?:[a-z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$';
export const IMAGE_TAG_PATTERN = '^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$';
export const STORAGE_SIZE_PATTERN = '^[1-9][0-9]*(Mi|Gi|Ti)$';
/** A PostgreSQL role or database name the URLs can carry without escaping. */
export const DATABASE_NAME_PATTERN = '^[a-z_][a-z0-9_]{0,62}$';
export const SECRET_KEY_PATTERN = '^[-._a-zA-Z0-9]+$';
/** An HTTP path the kubelet can GET: empty (no HTTP check) or `/` and URL path characters, no query. */
export const PROBE_PATH_PATTERN = "^(/[-A-Za-z0-9._~%!$&'()*+,;=:@/]*)?$";
/** A table the sync services replicate (the contract's rule): a plain (unquoted, lowercase) PostgreSQL name. */
export const TABLE_NAME_PATTERN = TABLE_NAME.source;
export const ENV_NAME_PATTERN = '^[A-Za-z_][A-Za-z0-9_]*$';
