/** This node's session standing checker (one cache per process, shared by every module graph Next.js builds). */
import { findSessionFacts } from '../users/usersRepository';
import { SessionStandingChecker } from './sessionStanding';
import { processSingleton } from '../processSingleton';

export function nodeSessionStanding(): SessionStandingChecker {
  return processSingleton('msk.app.sessionStanding', () => new SessionStandingChecker({ loadFacts: findSessionFacts }));
}
