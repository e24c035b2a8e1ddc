import { forgetProcessSingleton, processSingleton } from './processSingleton';

describe('processSingleton', () => {
  const key = `msk.test.processSingleton.${process.pid}`;
  afterEach(() => forgetProcessSingleton(key));

  it('creates the value on first use and returns that same value afterwards', () => {
    const create = jest.fn(() => ({ made: true }));
    const first = processSingleton(key, create);
    expect(processSingleton(key, create)).toBe(first);
    expect(create).toHaveBeenCalledTimes(1);
  });

  it('keeps the value on globalThis under Symbol.for(key), where another copy of the module finds it', () => {
    const value = processSingleton(key, () => 'shared');
    expect((globalThis as unknown as Record<symbol, unknown>)[Symbol.for(key)]).toBe(value);
    let isolated: typeof processSingleton | undefined;
    jest.isolateModules(() => {
      isolated = (jest.requireActual('./processSingleton') as typeof import('./processSingleton')).processSingleton;
    });
    expect(isolated).not.toBe(processSingleton);
    expect(isolated?.(key, () => 'another')).toBe('shared');
  });

  it('keeps nothing when create throws, so the next call tries again', () => {
    expect(() =>
      processSingleton(key, () => {
        throw new Error('not yet');
      }),
    ).toThrow('not yet');
    expect(processSingleton(key, () => 'second try')).toBe('second try');
  });

  it('makes a new value after forgetProcessSingleton', () => {
    const first = processSingleton(key, () => ({}));
    forgetProcessSingleton(key);
    expect(processSingleton(key, () => ({}))).not.toBe(first);
  });

  it('keeps values of different keys apart', () => {
    const other = `${key}.other`;
    processSingleton(key, () => 1);
    expect(processSingleton(other, () => 2)).toBe(2);
    forgetProcessSingleton(other);
  });
});
