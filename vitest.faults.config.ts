import { defineConfig } from "vitest/config";

// Fault scenarios stop brokers and kill processes: one at a time, with room for recovery. They
// run the bundles in dist/, built first by the global setup.
export default defineConfig({
  test: {
    name: "faults",
    include: ["test/faults/**/*.test.ts"],
    globalSetup: ["test/build-dist.ts"],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
});
