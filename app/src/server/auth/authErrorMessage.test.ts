import { authErrorMessage } from './authErrorMessage';

describe('the logged message of a NextAuth error', () => {
  it('is the message of an Error', () => {
    expect(authErrorMessage(new Error('decryption operation failed'))).toBe('decryption operation failed');
  });

  it('is the message of an error carried under `error`, without the other metadata', () => {
    const metadata = { error: new Error('bad'), providerId: 'credentials', token: 'eyJhbGciOi...' };
    expect(authErrorMessage(metadata)).toBe('bad');
  });

  it('is the message of an already formatted error object', () => {
    expect(authErrorMessage({ error: { message: 'formatted', stack: '...' } })).toBe('formatted');
    expect(authErrorMessage({ message: 'plain' })).toBe('plain');
  });

  it('is nothing for metadata without a message', () => {
    expect(authErrorMessage(undefined)).toBeUndefined();
    expect(authErrorMessage({ token: 'secret-ish' })).toBeUndefined();
  });
});
