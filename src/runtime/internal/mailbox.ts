import type { Cause, Effect, Exit } from "effect"
import { MutableQueue } from "effect"
import type { RestartBudget } from "./restartBudget.js"

/** One message in a mailbox, with the way to answer its asker and the attempts that died. */
export class Entry<Msg> {
  constructor(
    readonly message: Msg,
    /** Resumes the asking fiber (absent for a tell). */
    readonly reply: ((exit: Exit.Exit<any, any>) => void) | undefined,
    public attempts: number
  ) {}
}

/** Marks a slot whose backoff schedule has not been stepped since its last healthy message. */
export const noState: unique symbol = Symbol.for("mailroom/runtime/noState")

/** The child of one key: its bounded mailbox, the entry it holds and its supervision state. */
export class Slot<Msg> {
  readonly queue: MutableQueue.MutableQueue<Entry<Msg>>
  /** The entry being handled, or waiting for its retry after a restart. */
  current: Entry<Msg> | undefined = undefined
  /** Set while the worker is parked idle: resumes it. */
  wake: ((effect: Effect.Effect<void>) => void) | undefined = undefined
  /** Clock time the worker last went idle. */
  idleSince = 0
  /** Passivated, stopped or shut down: the worker ends at its next step. */
  done = false
  /** Waiting for the backoff delay before the next attempt. */
  restarting = false
  budget: RestartBudget | undefined = undefined
  backoffState: unknown = noState
  /** Continuations of a handler run, allocated once per slot rather than once per message. */
  handlers!: {
    readonly onSuccess: (a: unknown) => Effect.Effect<void>
    readonly onFailure: (cause: Cause.Cause<unknown>) => Effect.Effect<void>
  }

  constructor(
    readonly key: string,
    capacity: number
  ) {
    this.queue = MutableQueue.bounded(capacity)
  }

  /** Enqueues unless the mailbox is full. */
  offer(entry: Entry<Msg>): boolean {
    return MutableQueue.offer(this.queue, entry)
  }

  /** Takes the next queued entry, or undefined when the mailbox is empty. */
  poll(): Entry<Msg> | undefined {
    return MutableQueue.poll(this.queue, undefined)
  }

  isEmpty(): boolean {
    return MutableQueue.isEmpty(this.queue)
  }
}
