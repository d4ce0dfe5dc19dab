/**
 * Wake-ups of one process's relay loops, keyed like the NOTIFY payloads ("outbox:<schema>", "inbox:<schema>").
 * A commit in this process signals its relay loops at once instead of waiting for its own NOTIFY to come back
 * through the database; NOTIFY still wakes the other processes. Its echo wakes the loops here a second time;
 * measured, matching echoes to signals to save that round made the hand-off slower (the echo's round often
 * finds the work first), so every wake-up counts.
 */
export interface Wakeups {
  /** A commit of this process notified `payload`: wake its loops now. */
  readonly signal: (payload: string) => void
  /** A NOTIFY arrived. */
  readonly notified: (payload: string) => void
  readonly on: (payload: string, wake: () => void) => void
}

export const make = (): Wakeups => {
  const handlers = new Map<string, Array<() => void>>()
  const wake = (payload: string) => {
    const list = handlers.get(payload)
    if (list !== undefined) for (const f of list) f()
  }
  return {
    signal: wake,
    notified: wake,
    on: (payload, f) => {
      const list = handlers.get(payload)
      if (list === undefined) handlers.set(payload, [f])
      else list.push(f)
    }
  }
}
