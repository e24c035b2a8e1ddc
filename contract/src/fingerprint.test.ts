import { displayValue, fingerprint, keyedFingerprint } from './fingerprint';
import { variable } from './variables';

describe('how secrets are shown', () => {
  it('shows a password a person may choose (ADMIN_PASSWORD, DATABASE_PASSWORD) only as a keyed fingerprint', () => {
    for (const name of ['ADMIN_PASSWORD', 'DATABASE_PASSWORD']) {
      const shown = displayValue(variable(name), 'Summer2026!pass');
      expect(shown).toMatch(/^kfp:[0-9a-f]{8}$/);
      expect(shown).not.toBe(fingerprint('Summer2026!pass'));
      expect(shown.slice(4)).not.toBe(fingerprint('Summer2026!pass').slice(3));
    }
  });

  it("lets two servers' passwords be compared within one report", () => {
    const spec = variable('ADMIN_PASSWORD');
    expect(displayValue(spec, 'same-password-1')).toBe(displayValue(spec, 'same-password-1'));
    expect(displayValue(spec, 'same-password-1')).not.toBe(displayValue(spec, 'other-password-2'));
    expect(keyedFingerprint('same-password-1')).toBe(displayValue(spec, 'same-password-1'));
  });

  it('keeps the unkeyed fingerprint for generated high-entropy secrets, so tools and logs can be compared', () => {
    expect(displayValue(variable('NEXTAUTH_SECRET'), 'c2VjcmV0')).toBe(fingerprint('c2VjcmV0'));
  });
});
