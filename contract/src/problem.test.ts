import { namedIssues } from './problem';

describe('namedIssues', () => {
  const issue = (path: PropertyKey[], message: string) => ({ path, message });

  it('names each field by its path, the whole document by the root label', () => {
    const error = { issues: [issue(['changes', 3, 'pk'], 'Invalid uuid'), issue([], 'Expected object')] };
    expect(namedIssues(error)).toBe('changes.3.pk: Invalid uuid; (body): Expected object');
    expect(namedIssues(error, '(manifest)')).toBe('changes.3.pk: Invalid uuid; (manifest): Expected object');
  });

  it('names at most `max` problems', () => {
    const error = { issues: Array.from({ length: 8 }, (_, i) => issue([`f${i}`], 'Required')) };
    expect(namedIssues(error).split('; ')).toHaveLength(5);
    expect(namedIssues(error, '(root)', 3)).toBe('f0: Required; f1: Required; f2: Required');
  });
});
