import { defineConfig } from "vitest/config"
import { onConsoleLog } from "./tests/support/expectedLogs.js"

export default defineConfig({
  test: {
    // Log lines about faults the tests inject on purpose are not printed (MAILROOM_TEST_LOGS=all shows them).
    onConsoleLog,
    projects: [
      {
        test: {
          name: "unit",
          include: ["tests/**/*.test.ts"],
          exclude: ["tests/pg/**", "**/node_modules/**"],
          testTimeout: 30_000
        }
      },
      {
        test: {
          name: "postgres",
          include: ["tests/pg/**/*.test.ts"],
          globalSetup: ["tests/pg/globalSetup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000
        }
      }
    ]
  }
})
