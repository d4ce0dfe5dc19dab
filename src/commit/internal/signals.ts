import { Context } from "effect"
import type { Wakeup } from "../ContextStorage.js"
import * as Doorbell from "./doorbell.js"

/**
 * The doorbells of one process's relay loops, one per host and box ("inbox" for its delivery loop, "outbox" for its
 * forwarding loop), rung by two sources.
 *
 * A database notification heard (`heard`: another process stored or forwarded messages, or the echo of this one's).
 * And this process's own writes (`wrote`), so a loop need not wait for the echo when notifications are slow or off.
 * The echo of a write usually arrives before the write's own result does (the listening session is told at commit,
 * the writing one answers after), and a round started on it sees the write. So a write rings only if no notification
 * for its box was heard since its statement was sent: otherwise it would cost its loop a second, empty round. The
 * echo still rings if it comes later, and polling covers a notification that never comes.
 */
export interface Signals {
  readonly heard: (wakeup: Wakeup) => void
  /** This process wrote messages into the box with a statement sent at `sentAt` (`performance.now()`). */
  readonly wrote: (wakeup: Wakeup, sentAt: number) => void
  /** Rings at once (a redrive, a handover that fell back to the relay). */
  readonly ring: (wakeup: Wakeup) => void
  /** The doorbell a loop waits on. */
  readonly bell: (wakeup: Wakeup) => Doorbell.Doorbell
  /** Rings every doorbell. */
  readonly ringAll: () => void
}

/** The signals shared by the durable commit and the relay of one process. */
export class SignalsTag extends Context.Tag("mailroom/commit/internal/Signals")<SignalsTag, Signals>() {}

export const make = (): Signals => {
  const bells = new Map<string, Doorbell.Doorbell>()
  const lastHeard = new Map<string, number>()
  const bell = (wakeup: Wakeup) => {
    const name = nameOf(wakeup)
    let found = bells.get(name)
    if (found === undefined) {
      found = Doorbell.make()
      bells.set(name, found)
    }
    return found
  }
  return {
    heard: (wakeup) => {
      lastHeard.set(nameOf(wakeup), performance.now())
      bells.get(nameOf(wakeup))?.ring()
    },
    wrote: (wakeup, sentAt) => {
      if ((lastHeard.get(nameOf(wakeup)) ?? Number.NEGATIVE_INFINITY) < sentAt)
        bells.get(nameOf(wakeup))?.ring()
    },
    ring: (wakeup) => bells.get(nameOf(wakeup))?.ring(),
    bell,
    ringAll: () => {
      for (const found of bells.values()) found.ring()
    }
  }
}

// internal

const nameOf = (wakeup: Wakeup) => `${wakeup.box}:${wakeup.host}`
