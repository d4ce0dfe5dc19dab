/** The counter of Counter.ts, durable: the same host on PostgreSQL, nothing else changes. */
import { MailroomPg } from "../../src/pg/index.js"
import * as Counter from "./Counter.js"

/** Configured from the environment: `DATABASE_URL` and the `MAILROOM_*` settings (see Configuration). */
export const layer = MailroomPg.layerConfig({ hosts: [Counter.definition] })

/** Or with the database in code, and any setting of the boundary (`relay`, `schemaPrefix`, `local`...). */
export const layerAt = (url: string) =>
  MailroomPg.layer({ hosts: [Counter.definition], url, relay: { pollInterval: "100 millis" } })
