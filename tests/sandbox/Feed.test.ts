import { assert, describe, it } from "@effect/vitest"
import type { Envelope } from "../../src/runtime/Envelope.js"
import * as Feed from "../../hosts/sandbox/Feed.js"
import * as Style from "../../hosts/sandbox/Style.js"

const envelope = (messageId: string, causationId: string, type: string, payload: object = {}): Envelope =>
  ({
    messageId,
    causationId,
    correlationId: causationId,
    key: "g",
    type,
    version: 1,
    payload: { _tag: type, gameId: "g", ...payload },
    occurredAt: 0
  }) as Envelope

const committed = (
  host: string,
  consumed: Envelope,
  events: Array<Envelope>,
  commands: Array<Envelope> = []
) =>
  Feed.fromObservation(
    { _tag: "Committed", host, key: "g", consumed, events, commands, stateChanged: true, duplicate: false },
    (type) => (type === "Charge" ? ["accounting"] : type === "Paid" ? ["rondel"] : [])
  )

// Two roots sent by one command: a -> (a.0 event, a.1 command -> (a.1.0 event -> a.1.0.0)), b -> b.0
const a = envelope("a", "a", "Move")
const a0 = envelope("a.0", "a", "Awaiting", { nation: "Germany" })
const a1 = envelope("a.1", "a", "Charge", { amount: 4 })
const a10 = envelope("a.1.0", "a.1", "Paid")
const a100 = envelope("a.1.0.0", "a.1.0", "Determined")
const b = envelope("b", "b", "Open")
const b0 = envelope("b.0", "b", "Opened")
const chunks = [
  committed("rondel", a, [a0], [a1]),
  committed("accounting", a1, [a10]),
  committed("rondel", a10, [a100]),
  committed("accounting", b, [b0])
]
const restart = (message: Envelope, attempts: number): Feed.FeedItem => ({
  _tag: "HostRestarted",
  host: "accounting",
  envelope: message,
  attempts,
  restarts: attempts,
  cause: "Error: boom"
})
const label = (item: Feed.FeedItem) =>
  item._tag === "Handled"
    ? `${item.host}<-${item.envelope.messageId}`
    : item._tag === "Emitted"
      ? item.envelope.messageId
      : item._tag

describe("sandbox feed", () => {
  it("orders a command's lines causally, whatever order the hosts ran in", () => {
    const expected = [
      "rondel<-a",
      "a.0",
      "a.1",
      "HostRestarted",
      "HostRestarted",
      "accounting<-a.1",
      "a.1.0",
      "rondel<-a.1.0",
      "a.1.0.0",
      "accounting<-b",
      "b.0"
    ]
    const arrivals = [
      [0, 1, 2, 3],
      [3, 0, 1, 2],
      [0, 3, 1, 2],
      [0, 1, 3, 2]
    ]
    for (const arrival of arrivals) {
      // Two restarts of accounting while it handled a.1 (they arrive last: restarts are drained after the bus).
      const items = [
        { _tag: "Notice", level: "warning", message: "not settled" } as const,
        ...arrival.flatMap((i) => chunks[i]!),
        restart(a1, 1),
        restart(a1, 2)
      ]
      const ordered = Feed.order(items, ["a", "b"])
      assert.deepStrictEqual(ordered.map(label), [...expected, "Notice"])
      assert.deepStrictEqual(
        ordered.flatMap((item) => (item._tag === "HostRestarted" ? [item.attempts] : [])),
        [1, 2]
      )
    }
  })

  it("writes contract fields under their names, plus where the message came from", () => {
    const [handled, awaiting, charge] = chunks[0]!
    assert.deepStrictEqual(Feed.toJson(awaiting!), {
      event: "Awaiting",
      gameId: "g",
      nation: "Germany",
      kind: "event",
      host: "rondel",
      to: [],
      messageId: "a.0",
      causationId: "a",
      causedBy: "Move"
    })
    assert.deepInclude(Feed.toJson(charge!), {
      event: "Charge",
      kind: "command",
      to: ["accounting"],
      amount: 4
    })
    assert.deepInclude(Feed.toJson(handled!), {
      event: "MessageHandled",
      host: "rondel",
      type: "Move",
      messageId: "a"
    })
  })

  it("writes one readable line per item: game, host, what, and its cause", () => {
    const text = chunks[0]!.map((item) => Feed.toText(item, Style.plain))
    assert.deepStrictEqual(text, [
      "[g] rondel <= Move a",
      "[g] rondel => Awaiting nation=Germany  a.0 caused by Move a",
      "[g] rondel -> accounting Charge amount=4  a.1 caused by Move a"
    ])
    assert.strictEqual(
      Feed.toText(restart(a1, 2), Style.plain),
      "[g] supervisor: accounting restarted after Charge a.1 crashed it (attempt 2; restarts in total: 2)"
    )
    assert.deepStrictEqual(Feed.toJson(restart(a1, 2)), {
      event: "HostRestarted",
      gameId: "g",
      host: "accounting",
      type: "Charge",
      messageId: "a.1",
      attempts: 2,
      restarts: 2,
      cause: "Error: boom"
    })
  })
})

describe("the feed of scheduled messages", () => {
  it("a commit that schedules shows the message for later with its due time; one that cancels says which", () => {
    const move = envelope("m", "m", "Move")
    const deadline = envelope("m.t0", "m", "Deadline", { billingId: "bill-m" })
    const paid = envelope("p", "p", "Paid")
    const consumersOf = (type: string) => (type === "Deadline" ? ["rondel"] : [])
    const scheduling = Feed.fromObservation(
      {
        _tag: "Committed",
        host: "rondel",
        key: "g",
        consumed: move,
        events: [],
        commands: [],
        scheduled: [{ envelope: deadline, dueAt: 60_000 }],
        stateChanged: true,
        duplicate: false
      },
      consumersOf
    )
    const cancelling = Feed.fromObservation(
      {
        _tag: "Committed",
        host: "rondel",
        key: "g",
        consumed: paid,
        events: [],
        commands: [],
        cancelled: ["m.t0"],
        stateChanged: true,
        duplicate: false
      },
      consumersOf
    )
    const style = Style.plain
    assert.deepStrictEqual(
      [...scheduling, ...cancelling].map((item) => Feed.toText(item, style)),
      [
        "[g] rondel <= Move m",
        "[g] rondel -> rondel later Deadline billingId=bill-m due 1970-01-01T00:01:00.000Z  m.t0 caused by Move m",
        "[g] rondel <= Paid p",
        "[g] rondel cancels m.t0  caused by Paid p"
      ]
    )
    assert.deepStrictEqual(Feed.toJson(scheduling[1]!), {
      event: "Deadline",
      billingId: "bill-m",
      gameId: "g",
      kind: "scheduled",
      host: "rondel",
      to: ["rondel"],
      dueAt: "1970-01-01T00:01:00.000Z",
      messageId: "m.t0",
      causationId: "m",
      causedBy: "Move"
    })
    assert.deepStrictEqual(Feed.toJson(cancelling[1]!), {
      event: "ScheduledCancelled",
      gameId: "g",
      host: "rondel",
      messageIds: ["m.t0"],
      causationId: "p",
      causedBy: "Paid"
    })
  })
})
