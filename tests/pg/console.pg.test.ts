import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Redacted, Schedule } from "effect"
import { chromium } from "playwright-core"
import * as Server from "../../examples/http-service/Server.js"
import * as Faults from "../../src/commit/Faults.js"
import { parkingRelay, paymentDeadline } from "./imperialPg.js"
import { freshDatabase } from "./support.js"

// The operator console in a real browser (Debian's Chromium driven by playwright-core, which never downloads one):
// the HTTP example serves it at /mailroom. The map shows both hosts; a paid move played through the HTTP API appears
// as a swimlane; a charge parked by a fault is listed, its redrive button refused without the token (401) and obeyed
// with it, and the flow completes; meanwhile the hosts table counts the stuck move's payment deadline as scheduled.
//
// .ci/run installs the chromium package when it is missing. Without it this test is skipped, saying so.
// MAILROOM_SCREENSHOTS=1 writes the screenshots the README shows (examples/http-service/*.png); otherwise they go to
// a temporary directory.

const browserPath = process.env.MAILROOM_CHROMIUM ?? "/usr/bin/chromium"
const haveBrowser = Fs.existsSync(browserPath)
if (!haveBrowser)
  console.warn(
    `SKIPPED the console's browser test: no Chromium at ${browserPath}. Install it (Debian: apt-get install -y chromium) or set MAILROOM_CHROMIUM to a Chromium binary, then run npx vitest run --project postgres tests/pg/console.pg.test.ts`
  )

const screenshots =
  process.env.MAILROOM_SCREENSHOTS === "1"
    ? Path.resolve(import.meta.dirname, "../../examples/http-service")
    : Fs.mkdtempSync(Path.join(Os.tmpdir(), "mailroom-console-"))

const token = "console-test-token"

describe.skipIf(!haveBrowser)("the operator console in Chromium", () => {
  it.live(
    "map, a paid move's swimlane, a parked charge redriven by clicking (refused without the token)",
    () =>
      Effect.gen(function* () {
        const { url } = yield* freshDatabase()
        const context = yield* Layer.build(
          Server.layer({
            port: 0,
            host: "127.0.0.1",
            url,
            // Far away: a browser on a loaded machine may take a minute to click through the parked charge.
            paymentDeadline,
            relay: parkingRelay(1),
            console: { token: Redacted.make(token) }
          })
        )
        const base = yield* Effect.provide(Server.address, context)
        const faults = Context.get(context, Faults.Faults)
        const post = (path: string, body: unknown) =>
          Effect.promise(async () => {
            const response = await fetch(base + path, {
              method: "POST",
              headers: { "content-type": "application/json" },
              body: JSON.stringify(body)
            })
            assert.strictEqual(response.status, 202, await response.clone().text())
            return (await response.json()) as { readonly messageId: string }
          })

        const browser = yield* Effect.acquireRelease(
          Effect.promise(() => chromium.launch({ executablePath: browserPath, args: ["--no-sandbox"] })),
          (b) => Effect.promise(() => b.close())
        )
        const page = yield* Effect.promise(() => browser.newPage({ viewport: { width: 1280, height: 1100 } }))
        // Waits are bounded by the test's own timeout (a hang guard), not by a deadline of their own.
        const wait = (selector: string) =>
          Effect.promise(() => page.waitForSelector(selector, { timeout: 0 }))
        yield* Effect.promise(() => page.goto(`${base}/mailroom`))

        // The context map, drawn from the declarations: both hosts.
        yield* wait('#map g[data-context="rondel"]')
        yield* wait('#map g[data-context="accounting"]')
        assert.include(yield* Effect.promise(() => page.textContent("#map")), "ChargeMovement")

        // A paid move through the HTTP example: its swimlane, Rondel → Accounting → Rondel, every delivery handled.
        yield* post("/games", { gameId: "console-1", nations: ["Germany"], startingBalance: 20 })
        // A created game is accepted (202) before Rondel has set it up; a move for it is refused until then (404).
        yield* Effect.promise(async () => {
          while ((await fetch(`${base}/games/console-1/positions`)).status !== 200) {
            await new Promise((resolve) => setImmediate(resolve))
          }
        })
        yield* post("/games/console-1/moves", { nation: "Germany", space: "Investor" })
        const paid = yield* post("/games/console-1/moves", { nation: "Germany", space: "Factory" })
        const row = yield* wait(`#flows tr[data-flow="${paid.messageId}"]`)
        yield* Effect.promise(() => row.click())
        yield* wait(
          `#lanes[data-flow="${paid.messageId}"] g[data-type="RondelInvoicePaid"][data-fate="handled"]`
        )
        assert.deepStrictEqual(
          yield* Effect.promise(() =>
            page.$$eval(`#lanes g[data-message^="${paid.messageId}"]`, (gs) =>
              gs.map((g) => [g.getAttribute("data-type"), g.getAttribute("data-fate")])
            )
          ),
          [
            ["Move", "handled"],
            ["MovementAwaitingPayment", null],
            ["ChargeMovement", "handled"],
            ["RondelInvoicePaid", "handled"],
            ["ActionDetermined", null],
            ["PaymentDeadline", "cancelled"]
          ]
        )
        yield* Effect.promise(() =>
          page.screenshot({ path: Path.join(screenshots, "console.png"), fullPage: true })
        )
        const lanes = yield* Effect.promise(() => page.$("#lanes"))
        yield* Effect.promise(() => lanes!.screenshot({ path: Path.join(screenshots, "swimlane.png") }))

        // A fault: Accounting's handler dies on every charge; the relay parks it after its one attempt.
        yield* faults.armCrash({ host: "accounting", type: "ChargeMovement" }, 1_000_000)
        const stuck = yield* post("/games/console-1/moves", { nation: "Germany", space: "ManeuverOne" })
        const charge = `${stuck.messageId}.1`
        yield* wait(`#parked button.redrive[data-id="${charge}"]`)
        yield* wait(`#stuck tr[data-flow="${stuck.messageId}"]`)
        // The stuck move's payment deadline waits in Rondel's outbox: the hosts table counts it, not due yet.
        yield* wait('#hosts tr[data-host="rondel"][data-timers-scheduled="1"][data-timers-overdue="0"]')
        yield* faults.clear

        // Without the token the click is refused; with it, the charge is delivered again and the flow completes.
        yield* Effect.promise(() => page.click(`#parked button.redrive[data-id="${charge}"]`))
        yield* wait("#notice.bad")
        assert.include(yield* Effect.promise(() => page.textContent("#notice")), "401")
        yield* Effect.promise(() => page.fill("#token", token))
        yield* Effect.promise(() => page.dispatchEvent("#token", "change"))
        yield* Effect.promise(() => page.click(`#parked button.redrive[data-id="${charge}"]`))
        yield* wait("#notice.ok")
        yield* Effect.promise(() =>
          page.waitForSelector(`#parked tr[data-id="${charge}"]`, { state: "detached", timeout: 0 })
        )
        const flow = yield* wait(`#flows tr[data-flow="${stuck.messageId}"]`)
        yield* Effect.promise(() => flow.click())
        yield* wait(
          `#lanes[data-flow="${stuck.messageId}"] g[data-type="RondelInvoicePaid"][data-fate="handled"]`
        )
        // Paid: the deadline was cancelled.
        yield* wait('#hosts tr[data-host="rondel"][data-timers-scheduled="0"][data-timers-overdue="0"]')
      }).pipe(Effect.scoped, Effect.retry(Schedule.recurs(0)))
  )
})
