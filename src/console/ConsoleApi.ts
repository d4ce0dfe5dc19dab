import { HttpApi, HttpApiEndpoint, HttpApiError, HttpApiGroup, OpenApi } from "@effect/platform"
import { Schema } from "effect"

/** A redrive answered: the message is due again. */
export const Redriven = Schema.Struct({ id: Schema.String, redriven: Schema.Boolean })

/**
 * The operator console's JSON endpoints, as an `HttpApi` group a service adds to its own API (`MyApi.add(
 * ConsoleApi.OperatorGroup)`) and implements with `Console.layer(MyApi, ...)`. Reads: the context map, figures per
 * host with their recent history, recent or stuck flows, one flow, parked messages. The one action, redrive, needs the
 * configured token (`Authorization: Bearer TOKEN`) and answers 401 without it.
 */
export class OperatorGroup extends HttpApiGroup.make("mailroom")
  .add(HttpApiEndpoint.get("map", "/mailroom/api/map").addSuccess(Schema.Unknown))
  .add(HttpApiEndpoint.get("status", "/mailroom/api/status").addSuccess(Schema.Unknown))
  .add(
    HttpApiEndpoint.get("flows", "/mailroom/api/flows")
      .setUrlParams(Schema.Struct({ stuckFor: Schema.optional(Schema.NumberFromString) }))
      .addSuccess(Schema.Unknown)
  )
  .add(
    HttpApiEndpoint.get("flow", "/mailroom/api/flows/:id")
      .setPath(Schema.Struct({ id: Schema.String }))
      .addSuccess(Schema.Unknown)
      .addError(HttpApiError.NotFound)
  )
  .add(HttpApiEndpoint.get("parked", "/mailroom/api/parked").addSuccess(Schema.Unknown))
  .add(
    HttpApiEndpoint.post("redrive", "/mailroom/api/parked/:id/redrive")
      .setPath(Schema.Struct({ id: Schema.String }))
      .addSuccess(Redriven)
      .addError(HttpApiError.NotFound)
  )
  .addError(HttpApiError.Unauthorized)
  .addError(HttpApiError.ServiceUnavailable)
  .annotate(OpenApi.Title, "Mailroom operator console") {}

/** The console on its own (`mailroom console`): the operator group and nothing else. */
export class ConsoleApi extends HttpApi.make("mailroom-console").add(OperatorGroup) {}
