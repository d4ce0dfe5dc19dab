import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
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
