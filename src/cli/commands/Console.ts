import { createServer } from "node:http"
import { Command, Options } from "@effect/cli"
import { HttpApiBuilder, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer, Option, Redacted } from "effect"
import * as Console from "../../console/Console.js"
import { ConsoleApi } from "../../console/ConsoleApi.js"
import { Journal } from "../../operate/Journal.js"
import * as Deployment from "../Deployment.js"
import * as Flags from "../Flags.js"
import * as Output from "../Output.js"

/** `mailroom console`: the operator console served on its own, over the deployment's databases. */
export const command = (defaults: Deployment.Defaults) =>
  Command.make(
    "console",
    {
      ...Deployment.options,
      port: Flags.wholeNumber("port", 0).pipe(
        Options.withDefault(4400),
        Options.withDescription("TCP port (default 4400; 0 picks a free one).")
      ),
      host: Options.text("host").pipe(
        Options.withPseudoName("ADDRESS"),
        Options.withDefault("127.0.0.1"),
        Options.withDescription("Address to bind (default 127.0.0.1: this machine only).")
      ),
      protectReads: Options.boolean("protect-reads").pipe(
        Options.withDescription(
          "Reads need the token too (default: reads are open, redrive needs the token)."
        )
      )
    },
    (flags) =>
      Deployment.withDeployment(flags, defaults, ({ journal }) =>
        Effect.gen(function* () {
          const token = process.env.MAILROOM_CONSOLE_TOKEN
          if (flags.protectReads && (token === undefined || token === ""))
            return yield* new Output.BadInput({
              message: "--protect-reads needs MAILROOM_CONSOLE_TOKEN to be set"
            })
          const options: Console.ConsoleOptions = {
            ...(token === undefined || token === "" ? {} : { token: Redacted.make(token) }),
            protectReads: flags.protectReads
          }
          const server = HttpApiBuilder.serve().pipe(
            Layer.provide(Console.layerPage(options)),
            Layer.provide(
              HttpApiBuilder.api(ConsoleApi).pipe(Layer.provide(Console.layerGroup(ConsoleApi, options)))
            ),
            Layer.provideMerge(NodeHttpServer.layer(createServer, { port: flags.port, host: flags.host })),
            Layer.provide(Layer.succeed(Journal, journal))
          )
          return yield* Effect.scoped(
            Effect.gen(function* () {
              const context = yield* Layer.build(server)
              const address = yield* HttpServer.addressFormattedWith((a) => Effect.succeed(a)).pipe(
                Effect.provide(context)
              )
              yield* Output.note(
                `mailroom console on ${address.replace("0.0.0.0", "localhost")}/mailroom (${
                  Option.isSome(Option.fromNullable(options.token))
                    ? "redrive needs the token in MAILROOM_CONSOLE_TOKEN"
                    : "no MAILROOM_CONSOLE_TOKEN: redrive is refused"
                }${flags.protectReads ? ", reads too" : ""}); Ctrl-C to stop`
              )
              return yield* Effect.never
            })
          )
        })
      )
  ).pipe(
    Command.withDescription(
      "Serves the operator console (context map, hosts' figures with their timers, live flows with swimlanes, stuck flows, parked messages with a redrive button, backlog and lag charts) at http://127.0.0.1:4400/mailroom. Redrive needs MAILROOM_CONSOLE_TOKEN (401 without it); --protect-reads makes reads need it too."
    )
  )
