import { Effect, Exit, Scope } from "effect"
import type { TestProject } from "vitest/node"
import * as PostgresServer from "../../src/pg/testing/PostgresServer.js"

/** Finds or starts one server for the whole postgres project and creates this run's database on it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const scope = Effect.runSync(Scope.make())
  const close = () => Effect.runPromise(Scope.close(scope, Exit.void))
  try {
    const { server, database } = await Effect.runPromise(
      Effect.gen(function* () {
        const server = yield* PostgresServer.acquire()
        const database = yield* PostgresServer.createDatabase(server.url)
        return { server, database }
      }).pipe(Scope.extend(scope))
    )
    console.log(
      `[postgres] using ${server.source} PostgreSQL ${server.version ?? "(unknown version)"}` +
        `${server.embedded ? ` on port ${server.embedded.port}` : ""}; run database ${database.name}`
    )
    project.provide("databaseUrl", database.url)
    project.provide("pgSource", server.source)
  } catch (error) {
    await close()
    throw error
  }
  return close
}
