import { mergeEnvironment, parseEnvText } from './envFile';

describe('parseEnvText', () => {
  it("reads the setup guide's .env.local style: quotes are syntax, comments are skipped", () => {
    const { values, errors } = parseEnvText(
      '# SAME ON BOTH SERVERS\nNEXTAUTH_SECRET="abc=="\nSYNC_NODE_NAME="sync-node-server-2"  # Descriptive name\nexport SYNC_SERVICE_PORT=8765\nB=\'two words\'\n',
      '.env.local',
    );
    expect(errors).toEqual([]);
    expect(Object.fromEntries(values)).toEqual({
      NEXTAUTH_SECRET: 'abc==',
      SYNC_NODE_NAME: 'sync-node-server-2',
      SYNC_SERVICE_PORT: '8765',
      B: 'two words',
    });
  });

  it('keeps the trailing spaces of an unquoted value so the contract can report them', () => {
    expect(parseEnvText('A=abc   \n', 'f').values.get('A')).toBe('abc   ');
  });

  it('keeps quotes inside quotes as part of the value', () => {
    expect(parseEnvText(`A="'abc'"\n`, 'f').values.get('A')).toBe("'abc'");
  });

  it('reports lines that are not KEY=value and unbalanced quotes, with file and line', () => {
    const { errors } = parseEnvText('A=1\nnot a variable\nC="open\n', '.env.local');
    expect(errors).toEqual([
      { file: '.env.local', line: 2, message: 'is not KEY=value' },
      { file: '.env.local', line: 3, message: 'C opens a " quote that is never closed on this line' },
    ]);
  });
});

describe('mergeEnvironment', () => {
  it('lets the process environment win over the file', () => {
    expect(mergeEnvironment({ A: 'file', B: 'file' }, { A: 'process', C: undefined })).toEqual({
      A: 'process',
      B: 'file',
    });
  });
});
