/** This node's session standing checker (one cache per process, shared by every module graph Next.js builds). */
import { findSessionFacts } from '../users/usersRepository';
import { SessionStandingChecker } from './sessionStanding';

const CHECKER_KEY = Symbol.for('msk.app.sessionStanding');
type CheckerHolder = { [CHECKER_KEY]?: SessionStandingChecker };

export function nodeSessionStanding(): SessionStandingChecker {
  const holder = globalThis as CheckerHolder;
  holder[CHECKER_KEY] ??= new SessionStandingChecker({ loadFacts: findSessionFacts });
  return holder[CHECKER_KEY];
}
