import * as Fs from "node:fs"
import { assert, describe, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import * as Accounting from "../../hosts/accounting/Accounting.js"
import * as AccountingState from "../../hosts/accounting/AccountingState.js"
import * as Ledger from "../../hosts/accounting/Ledger.js"
import * as LedgerProjection from "../../hosts/accounting/LedgerProjection.js"
import * as RondelState from "../../hosts/rondel/RondelState.js"
import type { AuditEntry } from "../../src/commit/CommitBoundary.js"

// The state and audit rows both hosts stored on PostgreSQL before states were versioned (fixtures/README.md): they
// must load with today's code, upcast to the bounded shape, and agree with what their audit logs tell.

const fixture = <A>(name: string): A =>
  JSON.parse(Fs.readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8")) as A

interface StateRow {
  readonly key: string
  readonly version: number
  readonly state: Record<string, unknown>
}
type AuditRow = Omit<AuditEntry, "host" | "committedAt">

const rondelRows = fixture<ReadonlyArray<StateRow>>("rondel-state-v1.json")
const accountingRows = fixture<ReadonlyArray<StateRow>>("accounting-state-v1.json")
const accountingAudit = fixture<ReadonlyArray<AuditRow>>("accounting-audit-v1.json").map(
  (row): AuditEntry => ({ ...row, host: "accounting", committedAt: 0 })
)
const loadAccounting = Schema.decodeUnknownSync(AccountingState.Stored)
const loadRondel = Schema.decodeUnknownSync(RondelState.Stored)
const rowOf = (rows: ReadonlyArray<StateRow>, key: string) => rows.find((row) => row.key === key)!

describe("stored states written before states were versioned (v1) load", () => {
  it("Rondel: positions and pending moves as stored, the newest Move ids kept", () => {
    const stored = rowOf(rondelRows, "game-1").state
    assert.notProperty(stored, "schemaVersion")
    const state = loadRondel(stored)
    // Pending moves stored before deadlines existed have none scheduled: they keep waiting, as they did.
    const withoutDeadline = (stored.nations as ReadonlyArray<{ readonly pending: object | null }>).map(
      (n) => ({
        ...n,
        pending: n.pending === null ? null : { ...n.pending, deadline: null }
      })
    )
    assert.deepStrictEqual(state.nations, withoutDeadline as never)
    assert.deepStrictEqual(
      state.recentMoves,
      (stored.handledMoves as ReadonlyArray<string>).slice(-16) as never
    )
    assert.deepStrictEqual(state.nations[0].pending, {
      space: "ManeuverOne",
      billingId: "bill-fz-1",
      amount: 6,
      deadline: null
    } as never)
  })

  it("Rondel: a v2 state (recent Move ids, pending moves without a deadline) loads with no deadline", () => {
    const v2 = {
      schemaVersion: 2,
      gameId: "game-2",
      nations: [
        {
          nation: "Italy",
          position: "Investor",
          pending: { space: "Factory", billingId: "bill-m-3", amount: 4 }
        },
        { nation: "France", position: null, pending: null }
      ],
      recentMoves: ["m-2", "m-3"]
    }
    const state = loadRondel(v2)
    assert.deepStrictEqual(state.nations[0].pending, {
      space: "Factory",
      billingId: "bill-m-3",
      amount: 4,
      deadline: null
    } as never)
    assert.isNull(state.nations[1]?.pending)
    assert.deepStrictEqual(state.recentMoves, ["m-2", "m-3"] as never)
  })

  it("Accounting: balances from the ledger, the latest paid charge per nation voidable, the rest settled", () => {
    const state = loadAccounting(rowOf(accountingRows, "game-1").state)
    assert.deepStrictEqual(
      Accounting.balances(state).map((b) => [b.account, b.amount]),
      [
        ["Germany", 2],
        ["Italy", 7],
        ["France", 0],
        ["Bank", -9]
      ]
    )
    assert.deepStrictEqual(
      state.voidable.map((c) => [c.billingId, c.status]),
      [["bill-fx-6", "Paid"]]
    )
    assert.deepStrictEqual(
      state.settled.map((c) => [c.billingId, c.status]),
      [
        ["bill-fx-7", "Paid"],
        ["bill-fx-8", "Paid"],
        ["bill-fx-9", "Failed"],
        ["bill-fx-11", "Refunded"]
      ]
    )
    assert.deepStrictEqual(state.earlyVoids, ["bill-early"] as never)
    assert.deepStrictEqual(state.deposits, ["fx-10"] as never)

    const early = loadAccounting(rowOf(accountingRows, "game-early").state)
    assert.isNull(early.accounts)
    assert.deepStrictEqual(early.held, [])
    assert.strictEqual(Accounting.chargeStatus(early, "bill-early-1" as never), "Failed")
    assert.strictEqual(Accounting.chargeStatus(early, "bill-early-2" as never), "VoidedBeforeCharge")
  })

  it("Accounting: the v1 audit log projects to the very ledger and charges the v1 state held", () => {
    for (const row of accountingRows) {
      const history = LedgerProjection.project(accountingAudit.filter((entry) => entry.key === row.key))
      assert.deepStrictEqual(history.ledger, row.state.ledger as never, row.key)
      assert.deepStrictEqual(history.charges, row.state.charges as never, row.key)
      const state = loadAccounting(row.state)
      for (const { account, amount } of Accounting.balances(state))
        assert.strictEqual(Ledger.balanceOf(history.ledger, account), amount, `${row.key} ${account}`)
    }
  })

  it("a loaded state is written back at the current version and reads the same", () => {
    const state = loadAccounting(rowOf(accountingRows, "game-1").state)
    const written = Schema.encodeSync(AccountingState.Stored)(state) as Record<string, unknown>
    assert.strictEqual(written.schemaVersion, AccountingState.version)
    assert.deepStrictEqual(loadAccounting(written), state)
    const rondel = loadRondel(rowOf(rondelRows, "game-1").state)
    const rondelWritten = Schema.encodeSync(RondelState.Stored)(rondel) as Record<string, unknown>
    assert.strictEqual(rondelWritten.schemaVersion, RondelState.version)
    assert.deepStrictEqual(loadRondel(rondelWritten), rondel)
  })

  it("a state written by a newer release is refused, naming the versions this release reads", () => {
    const future = { ...rowOf(rondelRows, "game-1").state, schemaVersion: 9 }
    const result = Schema.decodeUnknownEither(RondelState.Stored)(future)
    assert.isTrue(Either.isLeft(result))
    assert.include(String(Either.isLeft(result) && result.left.message), "this release reads v1, v2, v3")
  })
})
