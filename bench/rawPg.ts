import { createRequire } from "node:module"

/** The few node-postgres (`pg`) shapes the raw baselines use (the package ships no types here). */
export interface PgPoolClient {
  query(text: string, values?: ReadonlyArray<unknown>): Promise<{ rows: Array<Record<string, unknown>> }>
  release(): void
  on(event: "notification", listener: (message: { channel: string; payload?: string }) => void): void
}

/** A node-postgres connection pool. */
export interface PgPool {
  connect(): Promise<PgPoolClient>
  query(text: string, values?: ReadonlyArray<unknown>): Promise<{ rows: Array<Record<string, unknown>> }>
  end(): Promise<void>
  on(event: "error", listener: (error: Error) => void): void
}

/** Opens a node-postgres pool: the raw client under @effect/sql-pg, used for baselines only. */
export const pool = (url: string, max: number): PgPool => {
  const pg = createRequire(import.meta.url)("pg") as {
    Pool: new (options: { connectionString: string; max: number }) => PgPool
  }
  const opened = new pg.Pool({ connectionString: url, max })
  // An idle connection closed by the server (the database dropped at the end) must not crash the process.
  opened.on("error", () => {})
  return opened
}
