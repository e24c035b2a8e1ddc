/**
 * The one line of NextAuth's error metadata that is safe to log: the error's message. NextAuth passes an Error,
 * or an object carrying one under `error`; the rest (request details, tokens) is left out.
 */
export function authErrorMessage(metadata: unknown): string | undefined {
  if (metadata instanceof Error) return metadata.message;
  if (typeof metadata !== 'object' || metadata === null) return undefined;
  const { error, message } = metadata as { error?: unknown; message?: unknown };
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string') {
    return (error as { message: string }).message;
  }
  return typeof message === 'string' ? message : undefined;
}
