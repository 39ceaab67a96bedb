import { defineConfig } from "vitest/config";

/** The two-VM bring-up: one file, in order, with time for software-emulated guests. */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 3_600_000,
    hookTimeout: 1_800_000,
    bail: 1,
  },
});
