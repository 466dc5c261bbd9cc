import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Two test files at a time on 2 cores: many wait on child processes, Chromium, Redis or the disk (6m44 against
    // 8m41 one at a time, measured here). Nothing asserts a speed, so sharing the cores changes no result.
    maxWorkers: 2,
    testTimeout: 180_000,
    hookTimeout: 180_000,
    reporters: ['default'],
    globalSetup: ['test/globalSetup.ts'],
  },
});
