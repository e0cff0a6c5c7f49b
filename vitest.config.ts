import { defineConfig } from "vitest/config";

// Integration tests share one RabbitMQ and spawn real processes; a 2-core machine runs them
// best a few files at a time.
export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    // Fault scenarios run on their own: npm run test:faults.
    exclude: ["node_modules/**", "dist/**", "test/faults/**"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
  },
});
