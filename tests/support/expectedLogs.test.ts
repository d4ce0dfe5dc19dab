import { assert, describe, it } from "@effect/vitest"
import { isInjectedFaultLog } from "./expectedLogs.js"

// The test run hides log lines about injected faults, and only those: a real failure's lines stay visible.
describe("log lines hidden from the test output", () => {
  const line = (level: string, message: string, cause = "") =>
    `timestamp=2026-01-01T00:00:00.000Z level=${level} fiber=#51 message="${message}"${cause === "" ? "" : ` cause="${cause}"`}`

  it("the runtime's lines about an injected crash or an injected failure are hidden", () => {
    assert.isTrue(
      isInjectedFaultLog(
        line(
          "WARN",
          "message parked after 3 attempts",
          "Error: injected crash of accounting handling X m-1\n    at ..."
        )
      )
    )
    assert.isTrue(
      isInjectedFaultLog(line("ERROR", "restart budget spent", "Error: injected crash of rondel"))
    )
    assert.isTrue(
      isInjectedFaultLog(line("WARN", "relay round failed", "InjectedFault: injected relay failure"))
    )
    assert.isTrue(
      isInjectedFaultLog(line("WARN", "publish of X failed after accounting saved: injected publish failure"))
    )
  })

  it("a real failure, a kill's warning and a test's own output are printed", () => {
    assert.isFalse(
      isInjectedFaultLog(line("WARN", "message parked after 3 attempts", "Error: boom\n    at ..."))
    )
    assert.isFalse(
      isInjectedFaultLog(line("ERROR", "relay round failed", "PersistenceError: connection terminated"))
    )
    assert.isFalse(isInjectedFaultLog(line("WARN", "shutdown: 1 messages interrupted or never handled")))
    assert.isFalse(isInjectedFaultLog("[chaos] seed 1: injected crash of nothing"))
  })
})
