import { Cause, Exit, type MetricLabel } from "effect"
import * as Actor from "../Actor.js"
import * as ActorMetrics from "../ActorMetrics.js"
import type { Entry } from "./mailbox.js"

/** The dead letters of one actor: parking answers the asker with MessageParked; redrive takes them back. */
export class ParkedStore<Msg> {
  private readonly messages = new Map<string, Actor.ParkedMessage<Msg>>()
  private seq = 0

  constructor(
    private readonly actor: string,
    private readonly tags: ReadonlyArray<MetricLabel.MetricLabel>,
    private readonly describe: ((message: Msg) => string) | undefined
  ) {}

  get size(): number {
    return this.messages.size
  }

  /** Parks the entry and fails its ask with MessageParked; returns the parked id. */
  park(key: string, entry: Entry<Msg>, cause: Cause.Cause<unknown>, now: number): string {
    const id = `${this.actor}/${++this.seq}`
    const causeText = Cause.pretty(cause)
    const description = this.description(entry.message)
    this.messages.set(id, {
      id,
      actor: this.actor,
      key,
      message: entry.message,
      attempts: entry.attempts,
      cause,
      causeText,
      ...(description === undefined ? {} : { description }),
      parkedAt: now
    })
    ActorMetrics.parked.unsafeUpdate(this.messages.size, this.tags)
    if (entry.reply !== undefined) {
      const parked = new Actor.MessageParked({
        actor: this.actor,
        key,
        parkedId: id,
        attempts: entry.attempts,
        cause: causeText
      })
      entry.reply(Exit.fail(parked))
    }
    return id
  }

  private description(message: Msg): string | undefined {
    try {
      return this.describe?.(message)
    } catch (error) {
      return `(describe failed: ${String(error)})`
    }
  }

  get(id: string): Actor.ParkedMessage<Msg> | undefined {
    return this.messages.get(id)
  }

  remove(id: string): void {
    this.messages.delete(id)
    ActorMetrics.parked.unsafeUpdate(this.messages.size, this.tags)
  }

  list(): ReadonlyArray<Actor.ParkedMessage<Msg>> {
    return Array.from(this.messages.values())
  }
}
