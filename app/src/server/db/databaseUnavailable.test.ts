import { isDatabaseUnavailable } from './databaseUnavailable';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    [
      'a server shutting down (57P01 admin_shutdown)',
      withCode('57P01', 'terminating connection due to administrator command'),
    ],
    ['a server starting up (57P03)', withCode('57P03', 'the database system is starting up')],
    ['a refused connection', withCode('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['a connection that ended under the query', new Error('Connection terminated unexpectedly')],
    ['no connection from the pool in time', new Error('timeout exceeded when trying to connect')],
    [
      'an unavailable cause wrapped in another error',
      Object.assign(new Error('query failed'), { cause: withCode('57P01') }),
    ],
  ])('says yes for %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
  });

  it.each([
    ['a unique violation', withCode('23505', 'duplicate key value violates unique constraint')],
    ['a syntax error', withCode('42601', 'syntax error at or near')],
    ['a plain bug', new TypeError('cannot read properties of undefined')],
    ['a string', 'Connection terminated'],
    ['null', null],
  ])('says no for %s', (_what, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});
