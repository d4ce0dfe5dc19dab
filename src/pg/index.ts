/** The durable PostgreSQL boundary of Mailroom: each context's storage, placement on databases, migrations. */

/** Composition: migrate, then durable commit + relay over each context's storage; the PostgreSQL client layer. */
export * as PgBoundary from "./PgBoundary.js"
/** One bounded context's storage on PostgreSQL (state, audit, inbox, outbox in its own schema). */
export * as PgStorage from "./PgStorage.js"
/** Where each host's tables live: a database per host, or one for all. */
export * as Placement from "./Placement.js"
/** Per-context schema migrations (frozen text). */
export * as Migrations from "./Migrations.js"
/** Your hosts on PostgreSQL in one layer: `layer({ hosts, url })`, or `layerConfig({ hosts })` from the environment. */
export * as MailroomPg from "./MailroomPg.js"
/** The operator's journal of a deployment on PostgreSQL (reads each context's schema; runs nothing). */
export * as PgJournal from "./PgJournal.js"
/** Migrations as an operator runs them: what each schema needs, the SQL, applied with progress. */
export * as PgMigrate from "./PgMigrate.js"
