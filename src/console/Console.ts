import {
  HttpApiBuilder,
  type HttpApi,
  HttpApiError,
  type HttpApiGroup,
  HttpServerRequest,
  HttpServerResponse
} from "@effect/platform"
import { Clock, Effect, Layer, Redacted, Ref, Schedule, Stream } from "effect"
import * as Routing from "../commit/Routing.js"
import * as ContextMap from "../operate/ContextMap.js"
import * as FlowGraph from "../operate/FlowGraph.js"
import * as FlowList from "../operate/FlowList.js"
import { type HostStatus, Journal } from "../operate/Journal.js"
import type * as ConsoleApi from "./ConsoleApi.js"
import * as Page from "./internal/page.js"

/** Who may use the console: the token actions need, and whether reads need it too. */
export interface ConsoleOptions {
  /** Required by redrive (`Authorization: Bearer TOKEN`); without one, every action is refused with 401. */
  readonly token?: Redacted.Redacted | undefined
  /** Reads need the token too (default false: reads are open, bind the server to 127.0.0.1). */
  readonly protectReads?: boolean
  /** How often figures are sampled for the charts and pushed to open pages (default 1 second). */
  readonly sampleEvery?: number
  /** How many samples the charts keep (default 300: five minutes at one a second). */
  readonly samples?: number
}

/** One sample of every host's figures, for the backlog and lag charts. */
export interface Sample {
  readonly at: number
  readonly hosts: ReadonlyArray<Pick<HostStatus, "host" | "backlog" | "lagMillis" | "parked">>
}

/**
 * The console in a service's own HTTP server: the operator group's handlers for the service's API (which must
 * include `ConsoleApi.OperatorGroup`), the page at `/mailroom` and the live feed (server-sent events) at
 * `/mailroom/events`. Needs the deployment's `Journal`.
 */
export const layer = <ApiId extends string, Groups extends HttpApiGroup.HttpApiGroup.Any, E, R>(
  api: HttpApi.HttpApi<ApiId, Groups, E, R>,
  options: ConsoleOptions = {}
) => Layer.mergeAll(layerGroup(api, options), layerPage(options))

/** The operator group's handlers over the deployment's journal. */
export const layerGroup = <ApiId extends string, Groups extends HttpApiGroup.HttpApiGroup.Any, E, R>(
  api: HttpApi.HttpApi<ApiId, Groups, E, R>,
  options: ConsoleOptions = {}
) =>
  HttpApiBuilder.group(
    api as unknown as HttpApi.HttpApi<ApiId, typeof ConsoleApi.OperatorGroup>,
    "mailroom",
    (handlers) =>
      Effect.gen(function* () {
        const journal = yield* Journal
        const routing = Routing.make(journal.hosts)
        const read = guard(options, false)
        const act = guard(options, true)
        const unavailable = Effect.mapError(() => new HttpApiError.ServiceUnavailable())
        return handlers
          .handle("map", () =>
            read(
              Effect.sync(() => {
                const map = ContextMap.make(journal.hosts)
                return { ...map, mermaid: ContextMap.mermaid(map), text: ContextMap.text(map) }
              })
            )
          )
          .handle("status", () => read(journal.status({ overdueAfterMillis: 30_000 })))
          .handle("flows", ({ urlParams }) =>
            read(
              Effect.gen(function* () {
                const now = yield* Clock.currentTimeMillis
                return FlowList.summarize(yield* journal.recent(500), routing, {
                  now,
                  limit: 50,
                  ...(urlParams.stuckFor === undefined ? {} : { stuckForMillis: urlParams.stuckFor })
                })
              }).pipe(unavailable)
            )
          )
          .handle("flow", ({ path }) =>
            read(
              Effect.gen(function* () {
                const correlationId = yield* journal.locate(path.id).pipe(unavailable)
                if (correlationId === undefined) return yield* new HttpApiError.NotFound()
                return FlowGraph.make(
                  correlationId,
                  yield* journal.flow(correlationId).pipe(unavailable),
                  routing
                )
              })
            )
          )
          .handle("parked", () => read(journal.parked.pipe(unavailable)))
          .handle("redrive", ({ path }) =>
            act(
              Effect.gen(function* () {
                const done = yield* journal.redrive(path.id).pipe(unavailable)
                if (!done) return yield* new HttpApiError.NotFound()
                return { id: path.id, redriven: true }
              })
            )
          )
      })
  )

/**
 * The page (`/mailroom`) and its live feed (`/mailroom/events`, server-sent events: every host's figures with their
 * recent history, recent flows and parked messages, once a second), as raw routes of the service's API router.
 */
export const layerPage = (options: ConsoleOptions = {}) =>
  HttpApiBuilder.Router.use((router) =>
    Effect.gen(function* () {
      const journal = yield* Journal
      const routing = Routing.make(journal.hosts)
      const every = options.sampleEvery ?? 1000
      const keep = options.samples ?? 300
      const samples = yield* Ref.make<ReadonlyArray<Sample>>([])
      const sample = Effect.gen(function* () {
        const hosts = yield* journal.status({ overdueAfterMillis: 30_000 })
        const at = yield* Clock.currentTimeMillis
        const next: Sample = {
          at,
          hosts: hosts.map((h) => ({
            host: h.host,
            backlog: h.backlog,
            lagMillis: h.lagMillis,
            parked: h.parked
          }))
        }
        return yield* Ref.updateAndGet(samples, (all) => [...all, next].slice(-keep))
      })
      const snapshot = Effect.gen(function* () {
        const history = yield* sample
        const now = yield* Clock.currentTimeMillis
        const records = yield* journal.recent(500)
        return {
          at: now,
          status: yield* journal.status({ overdueAfterMillis: 30_000 }),
          samples: history,
          flows: FlowList.summarize(records, routing, { now, limit: 30 }),
          parked: yield* journal.parked
        }
      })
      const allowed = (request: HttpServerRequest.HttpServerRequest, write: boolean) =>
        !(write || options.protectReads === true) || tokenOf(request) === expected(options)
      yield* router.get(
        "/mailroom",
        Effect.succeed(HttpServerResponse.html(Page.html)).pipe(
          Effect.map((response) => HttpServerResponse.setHeader(response, "cache-control", "no-store"))
        )
      )
      yield* router.get(
        "/mailroom/events",
        Effect.gen(function* () {
          const request = yield* HttpServerRequest.HttpServerRequest
          if (!allowed(request, false)) return HttpServerResponse.empty({ status: 401 })
          const events = Stream.repeatEffectWithSchedule(
            snapshot.pipe(
              Effect.map((data) => `data: ${JSON.stringify(data)}\n\n`),
              Effect.catchAll((error) =>
                Effect.succeed(`event: failure\ndata: ${JSON.stringify(String(error))}\n\n`)
              )
            ),
            Schedule.spaced(every)
          ).pipe(Stream.encodeText)
          return HttpServerResponse.stream(events, {
            contentType: "text/event-stream",
            headers: { "cache-control": "no-store", "x-accel-buffering": "no" }
          })
        })
      )
    })
  )

// internal

const expected = (options: ConsoleOptions) =>
  options.token === undefined ? undefined : Redacted.value(options.token)

/** The token a request carries: `Authorization: Bearer TOKEN`, or `?token=` (server-sent events cannot set headers). */
const tokenOf = (request: HttpServerRequest.HttpServerRequest): string | undefined => {
  const header = request.headers.authorization
  if (header?.startsWith("Bearer ")) return header.slice("Bearer ".length).trim()
  const query = new URL(request.url, "http://localhost").searchParams.get("token")
  return query ?? undefined
}

const guard =
  (options: ConsoleOptions, write: boolean) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    Effect.gen(function* () {
      if (write || options.protectReads === true) {
        const request = yield* HttpServerRequest.HttpServerRequest
        const token = expected(options)
        if (token === undefined || tokenOf(request) !== token) return yield* new HttpApiError.Unauthorized()
      }
      return yield* effect
    })
