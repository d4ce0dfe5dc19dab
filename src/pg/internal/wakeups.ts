/**
 * In-process wake-ups between the commit path and the relay of one process, keyed like the NOTIFY payloads
 * ("outbox:<schema>", "inbox:<schema>"). A commit in this process wakes this process's relay loops at once
 * instead of waiting for its own NOTIFY to come back through the database; NOTIFY still wakes other processes.
 */
export interface Wakeups {
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
