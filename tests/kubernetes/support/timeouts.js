/* global jest */
// Pods start in tens of seconds on 2 cores (image unpack, initdb, Next.js) and a step may wait for a rollout of
// three: every test and hook gets 15 minutes. (Jest 30 ignores `testTimeout` inside a project's config.)
jest.setTimeout(900_000);
