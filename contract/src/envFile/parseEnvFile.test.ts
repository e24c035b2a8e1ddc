import { formatEnvFile, parseEnvFile } from './parseEnvFile';

describe('parseEnvFile', () => {
  it("reads the setup guide's style: quoted values with a comment after them", () => {
    const { entries, errors } = parseEnvFile(
      '# SAME\nNEXTAUTH_URL="http://[server-2-ip]:8080"  # Server 2\nSYNC_SERVICE_PORT=8765\n',
    );
    expect(errors).toEqual([]);
    expect(entries).toEqual([
      { key: 'NEXTAUTH_URL', value: 'http://[server-2-ip]:8080', line: 2, quoted: true },
      { key: 'SYNC_SERVICE_PORT', value: '8765', line: 3, quoted: false },
    ]);
  });

  it('keeps trailing whitespace of an unquoted value so it can be reported', () => {
    const { entries } = parseEnvFile('A=abc   \n');
    expect(entries[0]?.value).toBe('abc   ');
  });

  it('keeps quotes that are inside the quotes as part of the value', () => {
    const { entries } = parseEnvFile(`A="'abc'"\nB='"x"'\n`);
    expect(entries.map((e) => e.value)).toEqual(["'abc'", '"x"']);
  });

  it('accepts export and single quotes and skips comments and blank lines', () => {
    const { entries } = parseEnvFile("\n  # note\nexport A=1\nB='two words'\n");
    expect(entries.map((e) => [e.key, e.value])).toEqual([
      ['A', '1'],
      ['B', 'two words'],
    ]);
  });

  it('reports lines that are not KEY=value, with their line number', () => {
    const { errors } = parseEnvFile('A=1\nnot a variable\n9X=2\nC="open\n');
    expect(errors.map((e) => e.line)).toEqual([2, 3, 4]);
    expect(errors[2]?.message).toMatch(/never closed/);
  });

  it('round-trips what formatEnvFile writes', () => {
    const values: Array<[string, string]> = [
      ['SECRET', 'V4h/+x='],
      ['NAME', 'Multi-Business Management Platform'],
      ['Q', 'say "hi" $HOME'],
    ];
    const text = formatEnvFile(['header'], values);
    expect(parseEnvFile(text).entries.map((e) => [e.key, e.value])).toEqual(values);
  });
});
