/* global jest */
// Integration and browser tests start real servers: give every test and hook 3 minutes.
// (Jest 30 ignores `testTimeout` inside a project's config, so it is set here.)
jest.setTimeout(180_000);
