import { defineConfig } from "vitest/config";

// Fault scenarios stop brokers and kill processes: one at a time, with room for recovery.
export default defineConfig({
  test: {
    include: ["test/faults/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
});
