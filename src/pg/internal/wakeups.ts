/**
 * Wake-ups of one process's relay loops, keyed like the NOTIFY payloads ("outbox:<schema>", "inbox:<schema>").
 *
 * Two sources ring them. Every NOTIFY this process hears (`heard`: other processes' commits, and the echoes of its
 * own). And this process's own commits (`committed`), so a loop need not wait for the echo when LISTEN is slow or
 * down. The echo of a commit usually arrives before the commit's own result does (the listening session is told at
 * commit, the committing one answers after), and a round started on it sees the commit. So a commit rings locally
 * only if no NOTIFY of its payload was heard since its statement was sent: otherwise it would cost its loop a
 * second, empty round (and delay the next message behind it). The echo still rings if it comes later, and polling
 * covers a NOTIFY that never comes.
 */
export interface Wakeups {
  /** A NOTIFY with this payload was heard: wakes the loops registered for it. */
  readonly heard: (payload: string) => void
  /**
   * This process committed rows behind `payload` with a statement sent at `sentAt` (`performance.now()`): wakes
   * the loops for it unless a NOTIFY of the payload was heard since then.
   */
  readonly committed: (payload: string, sentAt: number) => void
  readonly on: (payload: string, wake: () => void) => void
}

export const make = (): Wakeups => {
  const handlers = new Map<string, Array<() => void>>()
  const lastHeard = new Map<string, number>()
  const ring = (payload: string) => {
    const list = handlers.get(payload)
    if (list !== undefined) for (const wake of list) wake()
  }
  return {
    heard: (payload) => {
      lastHeard.set(payload, performance.now())
      ring(payload)
    },
    committed: (payload, sentAt) => {
      if ((lastHeard.get(payload) ?? Number.NEGATIVE_INFINITY) < sentAt) ring(payload)
    },
    on: (payload, wake) => {
      const list = handlers.get(payload)
      if (list === undefined) handlers.set(payload, [wake])
      else list.push(wake)
    }
  }
}
