import { defineConfig } from "vitest/config";

// Two projects: `unit` (the `*.test.ts` beside the code, in-process) and `integration` (test/:
// real RabbitMQ and real processes running the bundles in dist/, which its global setup builds
// first so that no run tests stale code). Fault scenarios have their own config:
// vitest.faults.config.ts (npm run test:faults). Integration tests share one RabbitMQ and spawn
// real processes; a 2-core machine runs them best a few files at a time.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["**/*.test.ts"],
          exclude: ["node_modules/**", "dist/**", "test/**"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/*.test.ts"],
          globalSetup: ["test/build-dist.ts"],
        },
      },
    ],
  },
});
