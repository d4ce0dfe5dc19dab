/**
 * Wake-ups of one process's relay loops, keyed like the NOTIFY payloads ("outbox:<schema>", "inbox:<schema>").
 * A commit in this process signals its relay loops at once instead of waiting for its own NOTIFY to come back
 * through the database; NOTIFY still wakes the other processes, and the relay signals each one it receives here.
 * So a local commit wakes its loops twice (the signal, then its echo). Measured, matching echoes to signals to
 * save that round made the hand-off slower (the echo's round often finds the work first), so every wake-up counts.
 */
export interface Wakeups {
  /** Wakes the loops registered for `payload` (none: nothing happens). */
  readonly signal: (payload: string) => void
  readonly on: (payload: string, wake: () => void) => void
}

export const make = (): Wakeups => {
  const handlers = new Map<string, Array<() => void>>()
  return {
    signal: (payload) => {
      const list = handlers.get(payload)
      if (list !== undefined) for (const wake of list) wake()
    },
    on: (payload, wake) => {
      const list = handlers.get(payload)
      if (list === undefined) handlers.set(payload, [wake])
      else list.push(wake)
    }
  }
}
