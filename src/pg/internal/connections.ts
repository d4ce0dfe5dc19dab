import * as Inbox from "./inbox.js"

/**
 * Connections a storage keeps for itself in this process, at most: its commit writers and front-door writers, the
 * relay's writes into its inbox and its outbox marks, and, when its host runs here, its outbox claim and one claim
 * per delivery worker.
 */
export const keptConnections = (options: {
  readonly writers?: number
  readonly local: boolean
  readonly claimers?: number
}) => (options.writers ?? 1) + Inbox.frontDoorWriters + 2 + (options.local ? 1 + (options.claimers ?? 1) : 0)
