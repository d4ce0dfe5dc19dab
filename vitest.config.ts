import * as Os from "node:os"
import { defineConfig } from "vitest/config"
import { onConsoleLog } from "./tests/support/expectedLogs.js"

export default defineConfig({
  test: {
    // Log lines about faults the tests inject on purpose are not printed (MAILROOM_TEST_LOGS=all shows them).
    onConsoleLog,
    // Two test files at once even on 2 cores (vitest's default is one fewer than the cores: one, there). Most files
    // wait on PostgreSQL's WAL flushes and on child processes, so a second file uses the time the first one waits:
    // the suite takes ~280 s instead of ~470 s on 2 cores. Waits judge progress, not time, so the extra load makes
    // tests slower, not red; PostgreSQL connections stay well under a default max_connections of 100.
    maxWorkers: Math.max(2, Os.availableParallelism() - 1),
    minWorkers: 1,
    projects: [
      {
        test: {
          name: "unit",
          include: ["tests/**/*.test.ts"],
          exclude: ["tests/pg/**", "**/node_modules/**"],
          // Timeouts guard against a hang; they are not assertions. Waits on real I/O inside tests fail when
          // nothing moves (src/testing/internal/progress.ts), so a loaded machine makes tests slower, not red.
          testTimeout: 180_000
        }
      },
      {
        test: {
          name: "postgres",
          include: ["tests/pg/**/*.test.ts"],
          globalSetup: ["tests/pg/globalSetup.ts"],
          testTimeout: 300_000,
          hookTimeout: 300_000,
          // At most two tests of a describe.concurrent block at once: each runs an application holding ~10
          // connections, and the server found on 127.0.0.1:5432 may be shared (max_connections is often 100).
          maxConcurrency: 2
        }
      }
    ]
  }
})
