import { Deferred, Effect, Layer } from "effect"
import * as Application from "../src/commit/Application.js"
import * as Bus from "../src/commit/Bus.js"
import { CommitBoundary, type CommitReport, type CommitRequest } from "../src/commit/CommitBoundary.js"
import * as DirectCommit from "../src/commit/DirectCommit.js"
import type * as Host from "../src/commit/Host.js"
import type { AnyHostDefinition } from "../src/commit/HostDefinition.js"
import * as MessageIds from "../src/commit/MessageIds.js"
import * as PgBoundary from "../src/pg/PgBoundary.js"
import type * as Placement from "../src/pg/Placement.js"
import * as ActorSystem from "../src/runtime/ActorSystem.js"
import * as Envelope from "../src/runtime/Envelope.js"

/**
 * Called after every successful commit of any host that applied its message, in the committing fiber (keep it cheap).
 * A duplicate delivery (at-least-once: the in-process handover and the relay can both deliver a message; the inbox
 * drops the second) applies nothing and is not reported: a hook that waits per key would otherwise take the repeat of
 * an earlier message for the one it waits for.
 */
export type CommitHook = (request: CommitRequest, report: CommitReport) => void

/** Options shared by the benchmark applications. */
export interface AppOptions {
  readonly onCommit?: CommitHook
  readonly host?: (name: string) => Host.HostOptions
}

/** The given hosts on the in-memory direct-commit boundary, with an optional commit hook. */
export const memory = (definitions: ReadonlyArray<AnyHostDefinition>, options: AppOptions = {}) =>
  Application.layer(definitions, options.host === undefined ? {} : { host: options.host }).pipe(
    Layer.provide(tap(options.onCommit)),
    Layer.provideMerge(DirectCommit.layer),
    Layer.provideMerge(runtime)
  )

/** The given hosts on the durable PostgreSQL boundary (all local), with an optional commit hook. */
export const postgres = (
  url: string,
  definitions: ReadonlyArray<AnyHostDefinition>,
  options: AppOptions & {
    readonly relay?: PgBoundary.PgBoundaryOptions["relay"]
    readonly handover?: boolean
    readonly listen?: boolean
    readonly maxConnections?: number
  } = {}
) => {
  const boundary: PgBoundary.PgBoundaryOptions = {
    hosts: definitions,
    ...(options.relay === undefined ? {} : { relay: options.relay }),
    ...(options.handover === undefined ? {} : { handover: options.handover }),
    ...(options.listen === undefined ? {} : { listen: options.listen })
  }
  return Application.layer(definitions, options.host === undefined ? {} : { host: options.host }).pipe(
    Layer.provide(tap(options.onCommit)),
    Layer.provideMerge(PgBoundary.layer(boundary)),
    Layer.provideMerge(runtime),
    Layer.provideMerge(
      PgBoundary.layerClient(url, {
        applicationName: "mailroom-bench",
        maxConnections: Math.max(options.maxConnections ?? 0, PgBoundary.defaultPoolSize(boundary))
      })
    )
  )
}

/** The given hosts on the durable boundary, each on the database the placement names (all local). */
export const postgresPlaced = (
  placement: Placement.Placement,
  definitions: ReadonlyArray<AnyHostDefinition>,
  options: AppOptions & {
    readonly relay?: PgBoundary.PgBoundaryOptions["relay"]
    readonly handover?: boolean
    readonly listen?: boolean
  } = {}
) =>
  Application.layer(definitions, options.host === undefined ? {} : { host: options.host }).pipe(
    Layer.provide(tap(options.onCommit)),
    Layer.provideMerge(
      PgBoundary.layerPlaced({
        hosts: definitions,
        placement,
        applicationName: "mailroom-bench",
        ...(options.relay === undefined ? {} : { relay: options.relay }),
        ...(options.handover === undefined ? {} : { handover: options.handover }),
        ...(options.listen === undefined ? {} : { listen: options.listen })
      })
    ),
    Layer.provideMerge(runtime)
  )

/** An envelope for a message entering from outside, as a host's front door builds it (fresh UUID). */
export const envelopeFor = <In>(host: Host.Host<any, In, any>, message: In): Envelope.Envelope => {
  return Envelope.make(
    MessageIds.random(),
    host.definition.keyOf(message),
    host.definition.encode(message),
    Date.now()
  )
}

/** Hands a message to a host's actor and waits until it is handled and committed (what the relay does). */
export const ask = <In>(host: Host.Host<any, In, any>, message: In) => {
  const envelope = envelopeFor(host, message)
  return host.actor.ask(envelope.key, envelope)
}

/** Waits for `done`, failing with `what` when it has not come within a minute: a stuck flow stops the bench, loudly. */
export const awaitDone = (done: Deferred.Deferred<void>, what: string) =>
  Deferred.await(done).pipe(
    Effect.timeoutFail({
      duration: "60 seconds",
      onTimeout: () => new Error(`bench stalled: ${what} did not complete within 60 s`)
    })
  )

/** Starts a layer for the rest of the scope; returns a function that runs effects against its context. */
export const started = <ROut, E>(layer: Layer.Layer<ROut, E>) =>
  Effect.map(
    Layer.build(layer),
    (context) =>
      <A, E2>(effect: Effect.Effect<A, E2, ROut>) =>
        Effect.provide(effect, context)
  )

// internal

const runtime = Layer.mergeAll(ActorSystem.layer, MessageIds.layer, Bus.layer)

/** The boundary below, with `onCommit` called after each successful commit. */
const tap = (onCommit: CommitHook | undefined) =>
  Layer.effect(
    CommitBoundary,
    Effect.map(CommitBoundary, (inner) =>
      onCommit === undefined
        ? inner
        : CommitBoundary.of({
            ...inner,
            commit: (request) =>
              Effect.tap(inner.commit(request), (report) => {
                if (!report.duplicate) onCommit(request, report)
              })
          })
    )
  )
