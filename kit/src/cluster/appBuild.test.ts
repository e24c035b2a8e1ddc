import { buildLineToShow, progressLines } from './appBuild';

describe('progressLines', () => {
  it('gives whole lines as they complete, across chunks, and the last partial line at the end', () => {
    const lines: string[] = [];
    const splitter = progressLines((line) => lines.push(line));
    splitter.push('Creating an optimized ');
    expect(lines).toEqual([]);
    splitter.push('production build ...\n✓ Compiled\r\nCollecting page data');
    expect(lines).toEqual(['Creating an optimized production build ...', '✓ Compiled']);
    splitter.end();
    expect(lines).toEqual(['Creating an optimized production build ...', '✓ Compiled', 'Collecting page data']);
  });

  it("treats a bare carriage return (a spinner's redraw) as the end of a line", () => {
    const lines: string[] = [];
    const splitter = progressLines((line) => lines.push(line));
    splitter.push('Generating static pages (0/5)\rGenerating static pages (5/5)\n');
    expect(lines).toEqual(['Generating static pages (0/5)', 'Generating static pages (5/5)']);
  });
});

describe('buildLineToShow', () => {
  it("drops npm's script banner and blank lines", () => {
    expect(buildLineToShow('> @msk/app@0.1.0 build')).toBeUndefined();
    expect(buildLineToShow('> next build && node scripts/completeStandalone.mjs')).toBeUndefined();
    expect(buildLineToShow('   ')).toBeUndefined();
  });

  it("keeps next build's own lines, without colours or indentation", () => {
    expect(buildLineToShow('\u001b[32m ✓\u001b[39m Compiled successfully in 25.1s')).toBe(
      '✓ Compiled successfully in 25.1s',
    );
    expect(buildLineToShow('   Collecting page data ...')).toBe('Collecting page data ...');
  });
});
