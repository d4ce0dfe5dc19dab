/** The durable PostgreSQL boundary of Mailroom: each context's storage, placement on databases, migrations. */

/** Composition: migrate, then durable commit + relay over each context's storage; the PostgreSQL client layer. */
export * as PgBoundary from "./PgBoundary.js"
/** One bounded context's storage on PostgreSQL (state, audit, inbox, outbox in its own schema). */
export * as PgStorage from "./PgStorage.js"
/** Where each host's tables live: a database per host, or one for all. */
export * as Placement from "./Placement.js"
/** Per-context schema migrations (frozen text). */
export * as Migrations from "./Migrations.js"
/** Find or start a PostgreSQL server (tests, benchmarks, sandbox). */
export * as PostgresServer from "./PostgresServer.js"
/** The operator's journal of a deployment on PostgreSQL (reads each context's schema; runs nothing). */
export * as PgJournal from "./PgJournal.js"
/** Migrations as an operator runs them: what each schema needs, the SQL, applied with progress. */
export * as PgMigrate from "./PgMigrate.js"
