/**
 * Test support of the contract (never published): valid node environments. `@msk/contract/testing` resolves only
 * inside this repository (the `msk-workspace` condition).
 */
export * from './validEnvironment';
