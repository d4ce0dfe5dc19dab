import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Render from "../../hosts/sandbox/Render.js"
import type * as Result from "../../hosts/sandbox/Result.js"
import * as Style from "../../hosts/sandbox/Style.js"
import { comparable, wholeGame } from "./script.js"
import { balance, events, type Line, names, position, results, run, step } from "./support.js"

describe("sandbox JSON mode: the payment deadline (memory)", () => {
  it.live(
    "Accounting silent, a paid move, clock advance past the deadline: VoidCharge and PaymentTimedOut",
    () =>
      Effect.gen(function* () {
        const out = yield* run([
          "new-game Germany --balance 20",
          "move Germany Investor",
          "fault drop-accounting",
          "move Germany Factory",
          "timers",
          "stats",
          "clock advance 2m",
          "stats",
          "positions",
          "balances",
          "charges"
        ])
        // Operations: the deadline counted as scheduled while it waits, nothing left once it fired.
        assert.deepStrictEqual(step(out, "stats", 0).result.timers, [
          { host: "rondel", scheduled: 1, overdue: 0 },
          { host: "accounting", scheduled: 0, overdue: 0 }
        ])
        assert.deepStrictEqual(
          step(out, "stats", 1).result.timers.map((t: Line) => [t.scheduled, t.overdue]),
          [
            [0, 0],
            [0, 0]
          ]
        )
        const timers = step(out, "timers").result.timers
        assert.deepStrictEqual(
          timers.map((t: Line) => [t.messageId, t.host, t.destination, t.type, t.cause]),
          [["m-4.t0", "rondel", "rondel", "PaymentDeadline", "m-4"]]
        )
        const advanced = step(out, "clock")
        assert.deepStrictEqual(
          advanced.result.fired.map((t: Line) => t.messageId),
          ["m-4.t0"]
        )
        assert.deepStrictEqual(names(advanced.events), [
          "rondel<-PaymentDeadline",
          "MoveToActionSpaceRejected",
          "VoidCharge",
          "accounting<-VoidCharge"
        ])
        assert.deepInclude(advanced.events[1], {
          space: "Factory",
          reason: "PaymentTimedOut",
          causationId: "m-4.t0"
        })
        assert.deepInclude(advanced.events[2], { billingId: "bill-m-4", to: ["accounting"] })
        assert.deepStrictEqual(position(out, "Germany"), {
          nation: "Germany",
          current: "Investor",
          pending: null
        })
        assert.deepStrictEqual(step(out, "charges").result.voidedBeforeCharge, ["bill-m-4"])
        assert.strictEqual(balance(out, "Germany"), 20)
      })
  )
})

describe("sandbox JSON mode: reconcile (memory)", () => {
  it.live("lists a paid move whose payment outcome never came, until a new move supersedes it", () =>
    Effect.gen(function* () {
      const startedAt = Date.now()
      const out = yield* run(wholeGame("m"))
      const tookMillis = Date.now() - startedAt
      assert.deepStrictEqual(
        results(out)
          .filter((r) => r.ok === false)
          .map((r) => [r.command, r.error.tag]),
        [["move", "UnknownNation"]]
      )
      // The stray charge took bill-m-10 first, so accounting drops the real one: no answer comes back.
      const waiting = step(out, "move", 6)
      assert.deepStrictEqual(names(waiting.events), [
        "rondel<-Move",
        "MovementAwaitingPayment",
        "ChargeMovement",
        "accounting<-ChargeMovement",
        "PaymentDeadline"
      ])
      assert.deepInclude(waiting.events[3], { stateChanged: false })
      // The move's payment deadline is scheduled (60 s, the sandbox's default), not yet due.
      assert.deepInclude(waiting.events[4], { kind: "scheduled", host: "rondel", to: ["rondel"] })
      const stuck = step(out, "reconcile", 0).result
      assert.strictEqual(stuck.olderThanMillis, 0)
      assert.deepStrictEqual(
        stuck.pendingMovements.map(({ ageMillis: _, ...rest }: Line) => rest),
        [{ gameId: "game-1", nation: "Germany", target: "Import", billingId: "bill-m-10", amount: 2 }]
      )
      // Its age is measured from when the move was sent: within the run.
      assert.isAtLeast(stuck.pendingMovements[0].ageMillis, 0)
      assert.isAtMost(stuck.pendingMovements[0].ageMillis, tookMillis)
      assert.deepStrictEqual(stuck.parked, [])
      assert.deepStrictEqual(position(out, "Germany").pending, {
        space: "Import",
        billingId: "bill-m-10",
        amount: 2
      })

      // The superseding move voids the stuck charge, which was paid (by the stray charge): refunded.
      const superseding = step(out, "move", 7)
      assert.deepInclude(events(superseding.events, "MoveToActionSpaceRejected")[0], {
        space: "Import",
        reason: "Superseded"
      })
      assert.deepInclude(events(superseding.events, "RondelChargeRefunded")[0], {
        billingId: "bill-m-10",
        amount: 2
      })
      assert.deepInclude(events(superseding.events, "ActionDetermined")[0], { space: "ProductionOne" })
      assert.deepStrictEqual(step(out, "reconcile", 1).result.pendingMovements, [])

      // Repeats of dup-1 and dep-1 reach their host and change nothing; that is all comparable() sets apart.
      const { repeats } = comparable(out, "m")
      assert.deepStrictEqual(
        repeats.map((line) => [line.host, line.messageId, line.stateChanged]),
        [
          ["rondel", "dup-1", false],
          ["accounting", "dep-1", false]
        ]
      )
      assert.isAtLeast(events(out, "HostRestarted").length, 1)
      assert.strictEqual(balance(out, "Germany"), 7)
      assert.strictEqual(balance(out, "France"), 4)
    })
  )

  it.live("lists messages a host's supervisor parked; only flows older than the threshold", () =>
    Effect.gen(function* () {
      const out = yield* run([
        "new-game Germany --balance 10",
        "move Germany Investor",
        "fault crash-accounting 3",
        "move Germany Factory",
        "reconcile --older-than 0s",
        "reconcile"
      ])
      const now = step(out, "reconcile", 0).result
      assert.deepStrictEqual(
        now.pendingMovements.map((m: Line) => [m.nation, m.target, m.billingId]),
        [["Germany", "Factory", "bill-m-4"]]
      )
      assert.deepStrictEqual(
        now.parked.map(({ ageMillis: _, reason, ...rest }: Line) => rest),
        [
          {
            id: "accounting/1",
            host: "accounting",
            where: "mailbox",
            gameId: "game-1",
            type: "ChargeMovement",
            attempts: 3
          }
        ]
      )
      assert.include(now.parked[0].reason, "injected crash")
      assert.deepInclude(step(out, "reconcile", 1).result, {
        olderThanMillis: 60_000,
        pendingMovements: [],
        parked: []
      })
    })
  )
})

describe("sandbox text: outbox, inbox and reconcile", () => {
  const row = (over: Partial<Result.PendingRow>): Result.PendingRow => ({
    host: "rondel",
    box: "outbox",
    messageId: "s1-4.1",
    type: "ChargeMovement",
    gameId: "game-1",
    peer: "accounting",
    attempts: 0,
    lastError: null,
    ageMillis: 1500,
    ...over
  })
  const text = (result: Result.Result) => Render.result(result, Style.plain)

  it("outbox and inbox print the counts, then each waiting row with its peer, attempts, error and age", () => {
    const outbox = text({
      command: "outbox",
      hosts: [
        { host: "rondel", pending: 2 },
        { host: "accounting", pending: 0 }
      ],
      rows: [row({})],
      limit: 1
    })
    const lines = outbox.split("\n")
    assert.match(lines[0]!, /^host\s+outbox: committed, not yet delivered$/)
    assert.match(lines[1]!, /^rondel\s+2$/)
    assert.match(lines[4]!, /^host\s+message\s+type\s+game\s+to\s+attempts\s+last error\s+age$/)
    assert.match(lines[5]!, /^rondel\s+s1-4\.1\s+ChargeMovement\s+game-1\s+accounting\s+0\s+1\.5s$/)
    assert.strictEqual(lines[6], "(the oldest 1 per host; outbox --limit N shows more)")

    const inbox = text({
      command: "inbox",
      hosts: [
        { host: "rondel", pending: 1, lagMillis: 340 },
        { host: "accounting", pending: 0, lagMillis: 0 }
      ],
      rows: [
        row({
          box: "inbox",
          messageId: "s1-4",
          type: "Move",
          peer: "external",
          attempts: 2,
          lastError: "PersistenceError: injected save failure",
          ageMillis: 340
        })
      ],
      limit: 20
    })
    assert.include(inbox, "oldest waiting")
    assert.match(inbox, /^host\s+message\s+type\s+game\s+from\s+attempts/m)
    assert.match(
      inbox,
      /^rondel\s+s1-4\s+Move\s+game-1\s+external\s+2\s+PersistenceError: injected save failure\s+340ms$/m
    )
    assert.notInclude(inbox, "--limit")

    const empty = text({
      command: "inbox",
      hosts: [{ host: "rondel", pending: 0, lagMillis: 0 }],
      rows: [],
      limit: 20
    })
    assert.strictEqual(empty.split("\n").length, 2)
  })

  it("reconcile prints stuck payments and parked messages with what to do, or that nothing is stuck", () => {
    assert.strictEqual(
      text({
        command: "reconcile",
        olderThanMillis: 60_000,
        pendingMovements: [],
        parked: [],
        overdueTimers: []
      }),
      "nothing stuck for longer than 1m"
    )
    const stuck = text({
      command: "reconcile",
      olderThanMillis: 0,
      pendingMovements: [
        {
          gameId: "game-1",
          nation: "Germany",
          target: "Import",
          billingId: "bill-m-10",
          amount: 2,
          ageMillis: 125_000
        }
      ],
      parked: [
        {
          id: "accounting/1",
          host: "accounting",
          where: "mailbox",
          gameId: "game-1",
          type: "ChargeMovement",
          attempts: 3,
          reason: "Error: injected crash",
          ageMillis: 4_000_000
        }
      ],
      overdueTimers: [
        {
          messageId: "m-4.t0",
          host: "rondel",
          destination: "rondel",
          type: "PaymentDeadline",
          gameId: "game-1",
          dueAt: 60_000,
          overdueMillis: 1_500,
          cause: "m-4"
        }
      ]
    })
    assert.match(stuck, /^game-1\s+Germany\s+Import\s+bill-m-10\s+2M\s+2m 5s$/m)
    assert.match(
      stuck,
      /^accounting\/1\s+accounting\s+mailbox\s+game-1\s+ChargeMovement\s+3\s+1h 7m\s+Error: injected crash$/m
    )
    assert.strictEqual(stuck.split("\n")[0], "stuck:")
    assert.include(stuck, "supersedes")
    assert.include(stuck, "redrive <id>")
    assert.match(
      stuck,
      /^m-4\.t0\s+rondel\s+rondel\s+game-1\s+PaymentDeadline\s+1970-01-01T00:01:00\.000Z\s+1\.5s\s+m-4$/m
    )
    assert.include(stuck, "overdue timers")
  })
})
