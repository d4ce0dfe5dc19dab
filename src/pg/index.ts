/** The durable PostgreSQL boundary of Mailroom: outbox commit, relay, migrations. */

/** Composition: migrate, then boundary + relay; the PostgreSQL client layer. */
export * as PgBoundary from "./PgBoundary.js"
/** The outbox commit boundary. */
export * as PgCommit from "./PgCommit.js"
/** The relay: parked messages, redrive, stats, message status. */
export * as Relay from "./Relay.js"
/** Per-context schema migrations. */
export * as Migrations from "./Migrations.js"
/** Hosts of a deployment and where their tables live. */
export * as Topology from "./Topology.js"
/** Find or start a PostgreSQL server (tests, benchmarks, sandbox). */
export * as PostgresServer from "./PostgresServer.js"
