/**
 * Wire format of the peer protocol and its validation. Everything a peer sends is parsed here before it touches
 * any state; a message that does not parse is dropped and counted, never thrown across the boundary.
 */
import { NODE_ID_PATTERN, NODE_ID_RULE, namedIssues } from '@msk/contract';
import { z } from 'zod';
import { appBuildIdentitySchema } from './appBuild';
import { MAX_FINGERPRINTS } from './limits';
import { REFUSAL_REASONS } from './refusal';

export const PATHS = {
  hello: '/sync/v1/handshake/hello',
  confirm: '/sync/v1/handshake/confirm',
  heartbeat: '/sync/v1/heartbeat',
  goodbye: '/sync/v1/goodbye',
  appBuild: '/sync/v1/app-build',
  database: '/sync/v1/database',
} as const;

const hex = (bytes: number) =>
  z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `must be ${bytes * 2} lowercase hex characters`);
export const nodeIdSchema = z.string().regex(NODE_ID_PATTERN, `must be ${NODE_ID_RULE}`);
export const nonceSchema = hex(32);
export const handshakeIdSchema = hex(16);
export const instanceIdSchema = hex(16);
const macSchema = hex(32);
const timestampSchema = z.number().int().min(0).max(8.64e15);
const dnsLabelSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
const variableNameSchema = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/);

export const nodeIdentitySchema = z.strictObject({
  id: nodeIdSchema,
  name: dnsLabelSchema,
  instanceId: instanceIdSchema,
  startedAt: timestampSchema,
  port: z.number().int().min(1).max(65535),
});

export const configFingerprintsSchema = z.strictObject({
  fingerprints: z
    .record(variableNameSchema, z.string().regex(/^[0-9a-f]{32}$/))
    .refine((r) => Object.keys(r).length <= MAX_FINGERPRINTS, `at most ${MAX_FINGERPRINTS} fingerprints`),
  previousSessionSecrets: z.array(z.string().regex(/^[0-9a-f]{32}$/)).max(MAX_FINGERPRINTS),
  publicValues: z
    .record(variableNameSchema, z.string().max(2048))
    .refine((r) => Object.keys(r).length <= MAX_FINGERPRINTS, `at most ${MAX_FINGERPRINTS} values`),
});

export const refusalSchema = z.strictObject({
  reason: z.enum(REFUSAL_REASONS),
  message: z.string().max(1000),
});

export const helloSchema = z.strictObject({
  v: z.number().int().min(1),
  initiator: nodeIdentitySchema,
  nonce: nonceSchema,
  timestampMs: timestampSchema,
  config: configFingerprintsSchema,
  tlsCertSha256: hex(32).nullable(),
});

export const helloAnswerSchema = z.strictObject({
  v: z.number().int().min(1),
  handshakeId: handshakeIdSchema,
  responder: nodeIdentitySchema,
  nonce: nonceSchema,
  timestampMs: timestampSchema,
  config: configFingerprintsSchema,
  tlsCertSha256: hex(32).nullable(),
  proof: macSchema,
});

export const confirmSchema = z.strictObject({
  v: z.number().int().min(1),
  handshakeId: handshakeIdSchema,
  proof: macSchema,
  refusal: refusalSchema.nullable(),
});

export const confirmAnswerSchema = z.strictObject({
  accepted: z.literal(true),
});

/** Body of every refusal answer (HTTP 403/409) on the handshake routes. */
export const refusalAnswerSchema = z.strictObject({
  refused: refusalSchema,
  /** True when the responder recognised its own hello: the address is this node itself. */
  self: z.boolean().optional(),
});

export const heartbeatSchema = z.strictObject({
  sentAtMs: timestampSchema,
});

export const heartbeatAnswerSchema = z.strictObject({
  timeMs: timestampSchema,
});

export const goodbyeSchema = z.strictObject({
  reason: z.string().max(200),
});

/** The build of the sender's app (null: its app has not answered yet); the answer carries the receiver's. */
export const appBuildMessageSchema = z.strictObject({
  build: appBuildIdentitySchema.nullable(),
});

export type ParseResult<T> = { ok: true; value: T } | { ok: false; problem: string };

/** Parses untrusted input; the problem names the first offending fields (paths only, never values). */
export function parseMessage<T>(schema: z.ZodType<T>, input: unknown): ParseResult<T> {
  const result = schema.safeParse(input);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, problem: namedIssues(result.error, '(root)', 3) };
}
