import { createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import * as Migrations from "../../src/pg/Migrations.js"

// A released migration is fixed text: a database migrated by one release must get exactly the same schema as a
// fresh install of a later one. Changing a released migration's text fails here; a change is a new migration.
const released: ReadonlyArray<readonly [number, string, string]> = [
  [1, "1_tables", "912abc75268c895592a0b30a1697904ddda7453308e93bd398b831cea96f0345"],
  [2, "2_functions", "f947637648adabb53d34d958b4b85f0d9ae16862fc4f8bd3e449416676b284e7"],
  [3, "3_leaner_commit", "1555e0589286970252875f1cd7fb5d5bec0199580a1a667cfeaa80414c83eda1"],
  [4, "4_commit_and_relay", "d2db12bf6fff02300d744c7daab165454570177cf3eeaca34de227bfeaea85f6"],
  [5, "5_commit_into_inboxes", "6ae003e7331b070473a6b74c9046307be721e472eac67827ac3a6e656a8b8e43"],
  [6, "6_indexed_order_check", "6549d83d44c178d08972ebfd23d443ab07bb6b393ee7486dca0fe36b4d26ab70"],
  [7, "7_independent_contexts", "d7f8058fc706a0c8f9b32f6085c9e1ec705336e92141a4ec6457dcad9faa2e17"],
  [8, "8_scheduled_messages", "5c1d6d7bfc41f5881805414d29b810065f23f345e11cf793ebd195efe578d579"]
]

describe("frozen migrations", () => {
  it("every released migration keeps its text (checksums pinned), in order, with no gap", () => {
    assert.deepStrictEqual(
      Migrations.all
        .slice(0, released.length)
        .map((m) => [m.id, m.name, createHash("sha256").update(m.text).digest("hex")]),
      released.map(([id, name, sum]) => [id, name, sum])
    )
    assert.deepStrictEqual(
      Migrations.all.map((m) => m.id),
      Migrations.all.map((_, i) => i + 1)
    )
  })

  it("a schema name is substituted everywhere, and a name that could break the SQL is refused", () => {
    for (const migration of Migrations.all) {
      const text = Migrations.sqlFor(migration, "app_rondel")
      assert.notInclude(text, "__schema__")
      assert.include(text, "app_rondel")
    }
    assert.throws(() => Migrations.sqlFor(Migrations.all[0]!, 'x"; DROP TABLE y; --'))
  })

  it("no migration after the first independent one writes into another context's schema", () => {
    // From migration 7 on, a context's SQL names its own schema only: never a destination's inbox or function.
    for (const migration of Migrations.all.filter((m) => m.id >= 7)) {
      const text = Migrations.sqlFor(migration, "rondel").replace(/"rondel"/g, "")
      assert.notMatch(text, /"[a-z0-9_]+"\.(inbox|outbox|state|audit|accept)/, migration.name)
      assert.notMatch(text, /format\(\s*'[^']*%I\./, migration.name)
    }
  })
})
