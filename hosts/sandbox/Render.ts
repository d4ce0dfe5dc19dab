import { Duration } from "effect"
import * as Board from "./Board.js"
import type * as Result from "./Result.js"
import * as Style from "./Style.js"

/** The human rendering of a command's result (interactive mode). */
export const result = (r: Result.Result, style: Style.Style): string => {
  const arrow = style.unicode ? "→" : "->"
  const ok = (text: string) => Style.green(style, text)
  switch (r.command) {
    case "new-game":
      return [
        `${ok("new game")} ${Style.bold(style, r.gameId)} (now current): ${r.nations.join(", ")}; ${r.startingBalance}M each`,
        ...r.messages.map((m) => `  ${m.type} ${Style.dim(style, m.messageId)} ${arrow} ${m.host}`)
      ].join("\n")
    case "games":
      return r.games.length === 0
        ? "no games yet: start one with new-game"
        : r.games.map((g) => `${g.current ? "*" : " "} ${g.gameId}`).join("\n")
    case "use":
      return `current game: ${Style.bold(style, r.gameId)}`
    case "move":
      return `${ok("accepted")} Move ${Style.dim(style, r.messageId)}: ${r.nation} ${arrow} ${r.space} ${Style.dim(
        style,
        "(the outcome arrives in the feed)"
      )}`
    case "positions":
      return Board.render(r.gameId, r.positions, style)
    case "balances":
      return table(
        ["account", "balance"],
        r.balances.map((b) => [b.account, `${b.amount}M`]),
        style
      )
    case "ledger":
      return r.entries.length === 0
        ? "the ledger is empty"
        : table(
            ["#", "kind", "from", "to", "amount", "billing id", "message"],
            r.entries.map((e) => [
              String(e.entryId),
              e.kind,
              e.from,
              e.to,
              `${e.amount}M`,
              e.billingId ?? "",
              e.messageId
            ]),
            style
          )
    case "charges": {
      const lines =
        r.charges.length === 0
          ? ["no charges yet"]
          : [
              table(
                ["billing id", "nation", "amount", "status", "reason"],
                r.charges.map((c) => [c.billingId, c.nation, `${c.amount}M`, c.status, c.reason ?? ""]),
                style
              )
            ]
      if (r.voidedBeforeCharge.length > 0) {
        lines.push(`voided before their charge arrived: ${r.voidedBeforeCharge.join(", ")}`)
      }
      return lines.join("\n")
    }
    case "deposit":
      return `${ok("accepted")} Deposit ${Style.dim(style, r.messageId)}: ${r.amount}M ${arrow} ${r.nation}`
    case "send":
      return `${ok("accepted")} ${r.type} ${Style.dim(style, r.messageId)} ${arrow} ${r.host} (game ${r.gameId})`
    case "settle":
      return `settled in ${r.tookMillis} ms`
    case "stats":
      return [
        table(
          [
            "host",
            "mailbox",
            "in flight",
            "processed",
            "failed",
            "defects",
            "restarts",
            "parked",
            "stopped keys"
          ],
          r.hosts.map((h) =>
            [
              h.host,
              h.mailboxDepth,
              h.inFlight,
              h.processed,
              h.failed,
              h.defects,
              h.restarts,
              h.parked,
              h.stoppedKeys
            ].map(String)
          ),
          style
        ),
        r.boundary === "memory"
          ? Style.dim(style, "boundary: memory (direct commit): no relay, backlog always 0")
          : `boundary: postgres; relay backlog ${r.relay.backlog}, lag ${r.relay.lagMillis ?? "?"} ms`,
        ...(r.storages === undefined
          ? []
          : [
              table(
                ["storage", "outbox waiting (per destination)", "inbox waiting", "parked", "lag", "note"],
                r.storages.map((row) => [
                  row.host,
                  Object.entries(row.outbox)
                    .map(([destination, n]) => `${n} for ${destination}`)
                    .join(", ") || "0",
                  String(row.inbox),
                  String(row.parked),
                  row.inbox === 0 ? "" : age(row.lagMillis),
                  [
                    ...(row.unreachable === undefined ? [] : [`unreachable: ${row.unreachable}`]),
                    ...(row.waitingFor.length === 0 ? [] : [`waiting for ${row.waitingFor.join(", ")}`])
                  ].join("; ")
                ]),
                style
              )
            ]),
        table(
          ["timers of", "scheduled (not due yet)", "overdue (due, not delivered)"],
          r.timers.map((row) => [row.host, String(row.scheduled), String(row.overdue)]),
          style
        )
      ].join("\n")
    case "outbox":
      return [
        table(
          ["host", "outbox: committed, not yet delivered"],
          r.hosts.map((h) => [h.host, String(h.pending)]),
          style
        ),
        ...pendingRows(r, "to", style)
      ].join("\n")
    case "inbox":
      return [
        table(
          ["host", "inbox: delivered, not yet processed", "oldest waiting"],
          r.hosts.map((h) => [h.host, String(h.pending), h.pending === 0 ? "" : age(h.lagMillis)]),
          style
        ),
        ...pendingRows(r, "from", style)
      ].join("\n")
    case "parked":
      return r.parked.length === 0
        ? "nothing parked"
        : table(
            ["id", "host", "parked by", "game", "message", "attempts", "cause"],
            r.parked.map((p) => [
              p.id,
              p.host,
              p.source,
              p.gameId,
              `${p.type} ${p.messageId}`,
              String(p.attempts),
              p.cause
            ]),
            style
          )
    case "redrive":
      return `${ok("redriven")} ${r.id} ${arrow} ${r.host}`
    case "reconcile":
      return reconcileText(r, style)
    case "map":
      return `${r.text}\n\n${r.mermaid}`
    case "flow":
      return r.drawing
    case "replay":
      return r.games.length === 0
        ? "no games to replay"
        : r.games
            .map((g) => {
              const head = `${g.host} ${g.gameId}: `
              const entries = `(${g.entries} audit ${g.entries === 1 ? "entry" : "entries"})`
              if (g.problem !== undefined) return `${head}${Style.red(style, "cannot replay")}: ${g.problem}`
              if (g.matches) return `${head}${ok("matches")} ${Style.dim(style, entries)}`
              return [
                `${head}${Style.red(style, "differs")} ${Style.dim(style, entries)}`,
                ...g.differences.map(
                  (d) =>
                    `  ${d.path || "(state)"}: stored ${JSON.stringify(d.stored) ?? "nothing"}, replayed ${JSON.stringify(d.replayed) ?? "nothing"}`
                )
              ].join("\n")
            })
            .join("\n")
    case "fault": {
      // Faults of one kind armed twice count down together: show their sum.
      const totals = new Map<string, number>()
      for (const a of r.armed) {
        const name =
          a.point === "crash" ? `crash-${a.host}` : a.host === undefined ? a.point : `${a.point} (${a.host})`
        totals.set(name, (totals.get(name) ?? 0) + a.remaining)
      }
      const list = [...totals].map(([name, remaining]) => `${name} x${remaining}`).join(", ")
      if (r.armedNow === null) return totals.size === 0 ? "nothing armed" : `armed: ${list}`
      const now = Style.yellow(style, `armed ${r.armedNow.fault} x${r.armedNow.count}`)
      const onlyThis = totals.size === 1 && totals.get(r.armedNow.fault) === r.armedNow.count
      return onlyThis ? now : `${now} (armed in all: ${list})`
    }
    case "timers":
      return r.timers.length === 0
        ? "no message scheduled"
        : table(
            ["due", "in", "host", "→", "type", "game", "message", "caused by"],
            r.timers.map((t) => [
              new Date(t.dueAt).toISOString(),
              t.dueInMillis <= 0 ? `overdue ${formatMillis(-t.dueInMillis)}` : formatMillis(t.dueInMillis),
              t.host,
              t.destination,
              t.type,
              t.gameId,
              t.messageId,
              t.cause
            ]),
            style
          )
    case "clock": {
      const ahead = r.aheadMillis > 0 ? ` (${formatMillis(r.aheadMillis)} ahead of real time)` : ""
      const mode = r.adjustable ? "" : " (real time: Postgres mode)"
      if (r.advancedMillis === undefined) return `clock ${r.iso}${ahead}${mode}`
      const fired = r.fired ?? []
      return [
        `clock advanced ${formatMillis(r.advancedMillis)} to ${r.iso}${ahead}`,
        fired.length === 0
          ? "  nothing fell due"
          : `  fell due: ${fired.map((t) => `${t.type} ${t.messageId} → ${t.destination} [${t.gameId}]`).join(", ")}`
      ].join("\n")
    }
    case "help":
      if ("commands" in r) {
        const width = Math.max(...r.commands.map((c) => c.usage.length))
        return [
          ...r.commands.map((c) => `  ${Style.bold(style, c.usage.padEnd(width))}  ${c.summary}`),
          "",
          Style.dim(
            style,
            'Names ignore case, spaces and hyphens; quote names with spaces ("Great Britain"). Tab completes.'
          )
        ].join("\n")
      }
      return [Style.bold(style, r.usage), `  ${r.summary}`, ...r.detail.map((d) => `  ${d}`)].join("\n")
    case "quit":
      return "draining mailboxes, then bye"
  }
}

/** A failed command's line. */
export const failure = (
  error: { readonly tag: string; readonly message: string },
  style: Style.Style
): string => Style.red(style, `${error.tag}: ${error.message}`)

// internal

type PendingResult = Extract<Result.Result, { readonly command: "outbox" | "inbox" }>

/** The rows under an outbox or inbox count table, and a note when the limit hid some. */
const pendingRows = (r: PendingResult, peer: "to" | "from", style: Style.Style): ReadonlyArray<string> => {
  if (r.rows.length === 0) return []
  const hidden = r.hosts.some((h) => h.pending > r.rows.filter((row) => row.host === h.host).length)
  return [
    "",
    table(
      ["host", "message", "type", "game", peer, "attempts", "last error", "age"],
      r.rows.map((row) => [
        row.host,
        row.messageId,
        row.type,
        row.gameId,
        row.peer,
        String(row.attempts),
        Style.red(style, clip(row.lastError ?? "", 60)),
        age(row.ageMillis)
      ]),
      style
    ),
    ...(hidden
      ? [Style.dim(style, `(the oldest ${r.limit} per host; ${r.command} --limit N shows more)`)]
      : [])
  ]
}

type ReconcileResult = Extract<Result.Result, { readonly command: "reconcile" }>

const reconcileText = (r: ReconcileResult, style: Style.Style): string => {
  const span = r.olderThanMillis === 0 ? "" : ` for longer than ${age(r.olderThanMillis)}`
  if (r.pendingMovements.length === 0 && r.parked.length === 0 && r.overdueTimers.length === 0) {
    return `${Style.green(style, "nothing stuck")}${span}`
  }
  const lines = [Style.yellow(style, `stuck${span}:`)]
  if (r.pendingMovements.length > 0) {
    lines.push(
      "paid moves without a payment outcome:",
      table(
        ["game", "nation", "target", "billing id", "amount", "waiting"],
        r.pendingMovements.map((m) => [
          m.gameId,
          m.nation,
          m.target,
          m.billingId,
          `${m.amount}M`,
          age(m.ageMillis)
        ]),
        style
      ),
      Style.dim(
        style,
        "(see charges for the billing id; a new move of the nation supersedes it: the charge is voided, refunded if paid)"
      )
    )
  }
  if (r.parked.length > 0) {
    lines.push(
      "parked messages:",
      table(
        ["id", "host", "where", "game", "type", "attempts", "waiting", "reason"],
        r.parked.map((p) => [
          p.id,
          p.host,
          p.where,
          p.gameId,
          p.type,
          String(p.attempts),
          age(p.ageMillis),
          clip(p.reason, 60)
        ]),
        style
      ),
      Style.dim(style, "(redrive <id> puts one back)")
    )
  }
  if (r.overdueTimers.length > 0) {
    lines.push(
      "overdue timers (due, not delivered):",
      table(
        ["id", "host", "to", "game", "type", "due at", "overdue", "cause"],
        r.overdueTimers.map((t) => [
          t.messageId,
          t.host,
          t.destination,
          t.gameId,
          t.type,
          new Date(t.dueAt).toISOString(),
          age(t.overdueMillis),
          t.cause
        ]),
        style
      ),
      Style.dim(style, "(the relay delivers them once a process of their host runs; see timers)")
    )
  }
  return lines.join("\n")
}

/** A short human age: 850ms, 12.3s, 3m 5s, 2h 4m. */
const age = (millis: number): string => {
  if (millis < 1000) return `${Math.round(millis)}ms`
  if (millis < 60_000) return `${(millis / 1000).toFixed(1)}s`
  const unit = millis < 3_600_000 ? 1000 : 60_000
  return Duration.format(Duration.millis(Math.round(millis / unit) * unit))
}

const clip = (text: string, width: number): string =>
  text.length <= width ? text : `${text.slice(0, width - 3)}...`

const table = (
  header: ReadonlyArray<string>,
  rows: ReadonlyArray<ReadonlyArray<string>>,
  style: Style.Style
): string => {
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.map((row) => Style.visibleLength(row[i] ?? "")))
  )
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((cell, i) => Style.padEnd(cell, widths[i]!))
      .join("  ")
      .replace(/\s+$/, "")
  return [Style.bold(style, line(header)), ...rows.map(line)].join("\n")
}

/** A duration in the largest unit that keeps it readable: 850ms, 12.5s, 2m 5s. */
const formatMillis = (millis: number): string => {
  const ms = Math.round(millis)
  if (ms < 1000) return `${ms}ms`
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(1))}s`
  const minutes = Math.floor(ms / 60_000)
  const seconds = Math.round((ms % 60_000) / 1000)
  return seconds === 0 ? `${minutes}m` : `${minutes}m ${seconds}s`
}
