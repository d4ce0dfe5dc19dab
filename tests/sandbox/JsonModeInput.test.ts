import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Commands from "../../hosts/sandbox/Commands.js"
import {
  balance,
  events,
  type Line,
  names,
  paidTrip,
  position,
  results,
  run,
  step,
  timeless
} from "./support.js"

describe("sandbox JSON mode: send", () => {
  it.live("duplicates by message id change nothing; out-of-order void then charge is not applied", () =>
    Effect.gen(function* () {
      const out = yield* run([
        "new-game Germany --balance 10",
        `send rondel Move {"nation":"Germany","space":"Investor"} --message-id dup-1`,
        `send rondel Move --message-id dup-1 {"nation":"Germany","space":"Investor"}`,
        `send accounting Deposit {"nation":"Germany","amount":5} --message-id dep-1`,
        `send accounting Deposit {"nation":"Germany","amount":5} --message-id dep-1`,
        `send accounting VoidCharge {"nation":"Germany","billingId":"bill-x"}`,
        `send accounting ChargeMovement {"nation":"Germany","billingId":"bill-x","amount":2}`,
        `send accounting ChargeMovement {"nation":"Germany","billingId":"bill-y","amount":2}`,
        `send accounting chargemovement {"gameId":"game-1","nation":"Germany","billingId":"bill-y","amount":2}`,
        `send rondel RondelInvoicePaid {"nation":"Germany","billingId":"bill-y","amount":2}`,
        "positions",
        "balances",
        "charges"
      ])
      assert.isTrue(results(out).every((r) => r.ok === true))
      const [first, again] = [step(out, "send", 0), step(out, "send", 1)]
      assert.deepStrictEqual(first.result, {
        ok: true,
        command: "send",
        host: "rondel",
        type: "Move",
        gameId: "game-1",
        messageId: "dup-1"
      })
      assert.deepStrictEqual(names(first.events), ["rondel<-Move", "ActionDetermined"])
      assert.deepStrictEqual(names(again.events), ["rondel<-Move"])
      assert.deepInclude(again.events[0], { messageId: "dup-1", stateChanged: false })

      assert.deepStrictEqual(names(step(out, "send", 2).events), ["accounting<-Deposit", "FundsDeposited"])
      assert.deepStrictEqual(names(step(out, "send", 3).events), ["accounting<-Deposit"])

      const late = step(out, "send", 5)
      assert.deepInclude(events(late.events, "RondelInvoicePaymentFailed")[0], {
        billingId: "bill-x",
        reason: "Voided"
      })
      // The same billing id charged twice (different message ids, type named in lower case) is applied once.
      assert.deepStrictEqual(names(step(out, "send", 6).events), [
        "accounting<-ChargeMovement",
        "RondelInvoicePaid",
        "rondel<-RondelInvoicePaid"
      ])
      assert.deepStrictEqual(names(step(out, "send", 7).events), ["accounting<-ChargeMovement"])
      // An outcome for a billing id Rondel never issued changes nothing.
      assert.deepInclude(step(out, "send", 8).events[0], { stateChanged: false })

      assert.deepStrictEqual(position(out, "Germany"), {
        nation: "Germany",
        current: "Investor",
        pending: null
      })
      assert.strictEqual(balance(out, "Germany"), 13)
    })
  )

  it.live(
    "sandbox-minted ids skip ids chosen by hand, so a later command is never taken for a duplicate",
    () =>
      Effect.gen(function* () {
        const out = yield* run([
          "new-game Germany",
          `send rondel Move {"nation":"Germany","space":"Investor"} --message-id m-3`,
          "move Germany Import"
        ])
        const move = step(out, "move")
        assert.strictEqual(move.result.messageId, "m-4")
        assert.deepStrictEqual(names(move.events), ["rondel<-Move", "ActionDetermined"])
      })
  )
})

describe("sandbox JSON mode: bad input", () => {
  const setup = ["new-game Germany France --balance 10", "move Germany Investor"]
  const bad: ReadonlyArray<readonly [string, string]> = [
    ["bogus", "UnknownCommand"],
    ["move Spain Investor", "UnknownNation"],
    ["new-game Germany Atlantis", "UnknownNation"],
    ["move Germany Moon", "UnknownSpace"],
    ["move Germany", "WrongArguments"],
    ["move Germany Import Taxation", "WrongArguments"],
    ["positions now", "WrongArguments"],
    ["use", "WrongArguments"],
    ["deposit Germany", "WrongArguments"],
    ["new-game --colour red", "UnknownOption"],
    ["settle --timeout", "UnknownOption"],
    ["deposit Germany lots", "InvalidArgument"],
    ["deposit Germany 0", "InvalidArgument"],
    ["deposit Germany 2.5", "InvalidArgument"],
    ["new-game --balance -3", "InvalidArgument"],
    ['move "Germany Investor', "InvalidArgument"],
    ["use bad/id", "InvalidArgument"],
    ["settle --timeout soon", "InvalidArgument"],
    ["fault meteor", "InvalidArgument"],
    ["fault save 0", "InvalidArgument"],
    ["send nowhere Move {}", "UnknownHost"],
    ["send rondel Teleport {}", "UnknownMessageType"],
    ["send rondel Move {oops", "InvalidJson"],
    ["send rondel Move", "WrongArguments"],
    [`send rondel Move {"nation":"Spain","space":"Import"}`, "MessageRejected"],
    [`send rondel Move {"nation":"Germany"}`, "MessageRejected"],
    [`send rondel Move []`, "MessageRejected"],
    [`send accounting Move {"nation":"Germany","space":"Import"}`, "MessageRejected"],
    ["use game-99", "UnknownGame"],
    ["redrive rondel/99", "NotParked"],
    ["outbox", "NotAvailable"],
    ["inbox", "NotAvailable"],
    ["fault relay", "NotAvailable"],
    ["reconcile --older-than never", "InvalidArgument"],
    ["help teleport", "UnknownCommand"]
  ]

  it.live("every class gives ok:false with a clear message, emits nothing and changes nothing", () =>
    Effect.gen(function* () {
      const after = ["positions", "balances", "ledger", "charges", "parked", "games"]
      const baseline = yield* run([...setup, ...after])
      const out = yield* run([...setup, ...bad.map(([line]) => line), ...after])
      const refused = results(out).slice(setup.length, setup.length + bad.length)
      assert.deepStrictEqual(
        refused.map((r) => [r.ok, r.error?.tag]),
        bad.map(([, tag]) => [false, tag])
      )
      for (const r of refused) {
        assert.deepStrictEqual(Object.keys(r), ["ok", "command", "error"])
        assert.isAbove(r.error.message.length, 10)
      }
      // Nothing happened: no event line between the refused commands, and the same state as without them.
      const firstBad = out.indexOf(refused[0]!)
      const lastBad = out.indexOf(refused[refused.length - 1]!)
      assert.strictEqual(lastBad - firstBad, bad.length - 1)
      assert.deepStrictEqual(
        timeless(out.slice(lastBad + 1)),
        timeless(baseline.slice(baseline.length - after.length))
      )
    })
  )

  it.live("messages name the offending input", () =>
    Effect.gen(function* () {
      const out = yield* run([
        "move Germany Investor",
        "new-game France",
        "move Spain Investor",
        `send rondel Move {"nation":"Spain","space":"Import"}`,
        "send rondel Move {oops",
        "frobnicate"
      ])
      const r = results(out)
      assert.deepInclude(r[0]!, { ok: false, command: "move" })
      assert.strictEqual(r[0]!.error.tag, "NoCurrentGame")
      assert.include(r[2]!.error.message, '"Spain"')
      assert.include(r[3]!.error.message, "nation")
      assert.include(r[3]!.error.message, "Spain")
      assert.include(r[4]!.error.message, "not JSON")
      assert.deepStrictEqual(r[5]!.command, "frobnicate")
    })
  )
})

describe("sandbox JSON mode: what a refusal leaves behind", () => {
  it.live(
    "a deposit held for a game whose accounts are not open makes no game that games or use accept",
    () =>
      Effect.gen(function* () {
        const out = yield* run([
          `send accounting Deposit {"gameId":"game-99","nation":"Germany","amount":1}`,
          "games",
          "use game-99",
          "new-game Germany",
          "games",
          "use game-99",
          "use game-98"
        ])
        assert.deepInclude(events(step(out, "send").events, "HeldUntilAccountsOpen")[0], {
          gameId: "game-99",
          held: "Deposit"
        })
        assert.deepStrictEqual(step(out, "games", 0).result.games, [])
        assert.deepInclude(step(out, "use", 0).result, { ok: false })
        assert.deepStrictEqual(step(out, "use", 0).result.error, {
          tag: "UnknownGame",
          message: "no game game-99: there are no games yet (start one with new-game)"
        })
        assert.deepStrictEqual(step(out, "games", 1).result.games, [{ gameId: "game-1", current: true }])
        assert.deepStrictEqual(step(out, "use", 1).result.error, {
          tag: "UnknownGame",
          message: "no game game-99; games: game-1"
        })
        assert.notInclude(step(out, "use", 2).result.error.message, "no host knows no game")
      })
  )

  it.live("a refused send uses up no message id; an accepted one does", () =>
    Effect.gen(function* () {
      const out = yield* run([
        "new-game Germany",
        `send rondel Move {"nation":"Spain","space":"Import"}`,
        `send rondel Mvoe {"nation":"Germany","space":"Import"}`,
        `send accounting Deposit {"nation":"Germany","amount":1} --message-id m-4`,
        `send rondel Move {"nation":"Germany","space":"Import"}`,
        "move Germany Taxation"
      ])
      assert.deepStrictEqual(
        results(out).map((r) => [r.command, r.ok, r.messageId ?? r.error?.tag]),
        [
          ["new-game", true, undefined],
          ["send", false, "MessageRejected"],
          ["send", false, "UnknownMessageType"],
          ["send", true, "m-4"],
          // m-3 was not used by the refused sends; m-4 was chosen by hand, so minting skips it.
          ["send", true, "m-3"],
          ["move", true, "m-5"]
        ]
      )
    })
  )
})

describe("sandbox JSON mode: operations", () => {
  it.live("names match ignoring case, spaces and hyphens; quotes and abbreviations work", () =>
    Effect.gen(function* () {
      const out = yield* run([
        "new-game germany 'great britain' AUSTRIA-HUNGARY Italy",
        "move GREAT-BRITAIN investor",
        'move "Great Britain" "Production One"',
        "move great britain maneuver-one",
        "move AH taxation",
        "move it MANEUVERTWO",
        "positions"
      ])
      assert.isTrue(results(out).every((r) => r.ok === true))
      assert.deepStrictEqual(step(out, "new-game").result.nations, [
        "Germany",
        "Great Britain",
        "Austria-Hungary",
        "Italy"
      ])
      assert.deepStrictEqual(
        step(out, "positions").result.positions.map((p: Line) => [p.nation, p.current]),
        [
          ["Germany", null],
          ["Great Britain", "ManeuverOne"],
          ["Austria-Hungary", "Taxation"],
          ["Italy", "ManeuverTwo"]
        ]
      )
    })
  )

  it.live("games, use and several games side by side", () =>
    Effect.gen(function* () {
      const out = yield* run([
        "new-game Germany",
        "new-game France",
        "games",
        "use game-1",
        "positions",
        "games"
      ])
      assert.deepStrictEqual(step(out, "games", 0).result.games, [
        { gameId: "game-1", current: false },
        { gameId: "game-2", current: true }
      ])
      assert.strictEqual(step(out, "positions").result.gameId, "game-1")
      assert.strictEqual(step(out, "games", 1).result.current, "game-1")
    })
  )

  it.live("faults: a failed save loses the message and reports it; crashes restart the host", () =>
    Effect.gen(function* () {
      const out = yield* run([
        "new-game Germany",
        "fault save",
        "fault",
        "move Germany Investor",
        "fault crash-rondel 2",
        "move Germany Import",
        "fault clear",
        "positions",
        "stats"
      ])
      assert.deepStrictEqual(step(out, "fault", 1).result.armed, [{ point: "save", remaining: 1 }])
      const lost = step(out, "move", 0)
      assert.deepInclude(events(lost.events, "HandlingFailed")[0], {
        host: "rondel",
        type: "Move",
        messageId: "m-3"
      })
      assert.include(events(lost.events, "HandlingFailed")[0]!.error, "PersistenceError")
      const crashed = step(out, "move", 1)
      // Each restart is its own line, before the attempt that worked (two restarts are never one sampled line).
      assert.deepStrictEqual(names(crashed.events), [
        "HostRestarted",
        "HostRestarted",
        "rondel<-Move",
        "ActionDetermined"
      ])
      assert.deepStrictEqual(
        events(crashed.events, "HostRestarted").map(({ host, messageId, attempts, restarts }) => ({
          host,
          messageId,
          attempts,
          restarts
        })),
        [
          { host: "rondel", messageId: "m-4", attempts: 1, restarts: 1 },
          { host: "rondel", messageId: "m-4", attempts: 2, restarts: 2 }
        ]
      )
      assert.include(events(crashed.events, "HostRestarted")[0]!.cause, "injected crash of rondel")
      assert.deepStrictEqual(step(out, "positions").result.positions[0].current, "Import")
      const rondel = step(out, "stats").result.hosts.find((h: Line) => h.host === "rondel")
      assert.deepInclude(rondel, { restarts: 2, defects: 2, failed: 1, parked: 0 })
      assert.deepStrictEqual(step(out, "stats").result.relay, { backlog: 0, lagMillis: null })
      assert.strictEqual(step(out, "stats").result.boundary, "memory")
    })
  )

  it.live("settle reports how long it took; help lists and explains; quit ends the session", () =>
    Effect.gen(function* () {
      const startedAt = Date.now()
      const out = yield* run(["settle --timeout 2s", "help", "help send", "quit", "new-game"])
      const tookMillis = Date.now() - startedAt
      const settle = step(out, "settle").result
      assert.isTrue(settle.ok)
      // Measured around the settle: within the run.
      assert.isAtLeast(settle.tookMillis, 0)
      assert.isAtMost(settle.tookMillis, tookMillis)
      assert.includeMembers(
        step(out, "help", 0).result.commands.map((c: Line) => c.name),
        ["new-game", "games", "use", "move", "positions", "balances", "ledger", "charges", "deposit", "send"]
      )
      assert.include(step(out, "help", 1).result.usage, "--message-id")
      assert.deepStrictEqual(results(out).at(-1), { ok: true, command: "quit" })
      assert.isUndefined(results(out).find((r) => r.command === "new-game"))
    })
  )

  it.live(
    "help fault says what a crash leads to in each mode: parked in memory, back to the relay on Postgres",
    () =>
      Effect.gen(function* () {
        const detail = step(yield* run(["help fault"]), "help")
          .result.detail.join(" ")
          .replace(/\s+/g, " ")
        assert.include(detail, "In memory: a message that dies 3 times is parked")
        assert.include(detail, "In Postgres mode nothing is lost and the relay owns every message")
        assert.include(detail, "goes back to the relay (HandedBackToRelay in the feed)")
        assert.include(detail, `parks it only after ${Commands.relayMaxAttempts} failed deliveries`)
        assert.include(detail, "fault crash-accounting 3 delays the message, then it is handled")
      })
  )

  it.live(
    "--no-wait prints results at once and events as they come; the end of input drains everything",
    () =>
      Effect.gen(function* () {
        const out = yield* run(
          ["new-game Germany --balance 10", "move Germany Investor", "move Germany Factory"],
          {
            wait: false
          }
        )
        assert.strictEqual(results(out).length, 3)
        assert.deepStrictEqual(
          [...names(events(out))].sort(),
          [
            "rondel<-SetToStartingPositions",
            "PositionedAtStart",
            "accounting<-OpenAccounts",
            "AccountsOpened",
            "rondel<-Move",
            "ActionDetermined",
            ...paidTrip
          ].sort()
        )
      })
  )
})
