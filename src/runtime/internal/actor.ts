import {
  Cause,
  Context,
  Deferred,
  Duration,
  Effect,
  Exit,
  FiberId,
  FiberSet,
  MetricLabel,
  ScheduleDecision,
  ScheduleIntervals,
  type Scope,
  Tracer
} from "effect"
import * as Actor from "../Actor.js"
import * as ActorMetrics from "../ActorMetrics.js"
import * as Supervisor from "../Supervisor.js"
import * as RestartBudget from "./restartBudget.js"
import { Entry, noState, Slot } from "./mailbox.js"
import { ParkedStore } from "./parked.js"
import type { ActorEnv, ActorInstance } from "./env.js"
import { Pending } from "./pending.js"
import { Counters } from "./counters.js"

const resumeNow: Effect.Effect<void> = Effect.void

/** Starts an actor in the current scope; closing the scope shuts it down gracefully. */
export const make = <Msg, A, E>(
  env: ActorEnv,
  options: Actor.ActorOptions<Msg>,
  behaviour: Actor.Behaviour<Msg, A, E>
): Effect.Effect<Actor.ActorRef<Msg, A, E>, never, Scope.Scope> =>
  Effect.gen(function* () {
    const name = options.name
    const policy = Supervisor.merge(env.policy, options.supervision)
    const capacity = options.mailboxCapacity ?? env.mailboxCapacity
    if (!(capacity >= 1))
      throw new Error(`actor ${name}: mailboxCapacity must be at least 1, got ${capacity}`)
    const idleMillis = Duration.toMillis(options.idleTimeout ?? env.idleTimeout)
    const maxConcurrentKeys = options.maxConcurrentKeys ?? env.maxConcurrentKeys
    const semaphore =
      maxConcurrentKeys === undefined || !Number.isFinite(maxConcurrentKeys)
        ? undefined
        : yield* Effect.makeSemaphore(maxConcurrentKeys)
    const clock = yield* Effect.clock
    const tags = [MetricLabel.make(ActorMetrics.actorTag, name)]
    const pending = new Pending(env.pending)
    const parked = new ParkedStore<Msg>(name, tags, options.describe)

    const slots = new Map<string, Slot<Msg>>()
    // Insertion order is idle order: a slot is moved to the end each time it goes idle.
    const idleSlots = new Map<string, Slot<Msg>>()
    const stoppedKeys = new Map<string, string>()
    const counters = new Counters(tags)
    let sweeping = false
    let closing = false
    let stopped = false
    let shutdownDone: Deferred.Deferred<void> | undefined

    // FiberSet first, so its finalizer (interrupt everything) runs after the graceful shutdown below.
    const fibers = yield* FiberSet.make<void, never>()
    // Workers live as long as the actor: they must not become children of whatever span spawned it.
    const run = yield* Effect.mapInputContext(
      FiberSet.runtime(fibers)<never>(),
      (context: Context.Context<never>) => Context.omit(Tracer.ParentSpan)(context)
    )
    const forkOptions = { immediate: false } as const

    const invoke = (key: string, message: Msg): Effect.Effect<A, E> => {
      let effect: Effect.Effect<A, E>
      try {
        effect = behaviour(key, message)
      } catch (error) {
        effect = Effect.die(error)
      }
      return semaphore === undefined ? effect : semaphore.withPermits(1)(effect)
    }

    // --- hot path: enqueue, one step of a key's worker, reply ---

    const offer = (key: string, entry: Entry<Msg>): Actor.MailboxFull | Actor.ActorStopped | undefined => {
      if (closing) return shuttingDown(key)
      let slot = slots.get(key)
      if (slot === undefined) {
        const reason = stoppedKeys.get(key)
        if (reason !== undefined) return new Actor.ActorStopped({ actor: name, key, reason })
        slot = activate(key)
      }
      if (!slot.offer(entry)) return new Actor.MailboxFull({ actor: name, key, capacity })
      counters.depth++
      pending.add(1)
      const wake = slot.wake
      if (wake !== undefined) {
        slot.wake = undefined
        wake(resumeNow)
      }
      return undefined
    }

    const step = (slot: Slot<Msg>): Effect.Effect<void> => {
      let entry = slot.current
      if (entry === undefined) {
        entry = slot.poll()
        if (entry === undefined) return idle(slot)
        slot.current = entry
        counters.depth--
        counters.inFlight++
      }
      return Effect.matchCauseEffect(invoke(slot.key, entry.message), slot.handlers)
    }

    const replied = (slot: Slot<Msg>, exit: Exit.Exit<unknown, unknown> | undefined, value: unknown) => {
      const entry = slot.current!
      slot.current = undefined
      slot.backoffState = noState
      if (entry.reply !== undefined) entry.reply(exit ?? Exit.succeed(value))
      // Flush before the pending count can reach zero, so metrics are exact once quiescent.
      counters.replied(slot.isEmpty())
      pending.add(-1)
      return resumeNow
    }

    const failedReply = (slot: Slot<Msg>, cause: Cause.Cause<unknown>) => {
      if (Supervisor.isDefect(cause)) return defect(slot, cause)
      counters.failure()
      return replied(slot, Exit.failCause(cause), undefined)
    }

    const idle = (slot: Slot<Msg>): Effect.Effect<void> =>
      Effect.async<void>((resume) => {
        // Re-checked here: the worker may have yielded between polling and suspending.
        if (slot.done || !slot.isEmpty()) return resume(resumeNow)
        counters.flush()
        slot.idleSince = clock.unsafeCurrentTimeMillis()
        idleSlots.delete(slot.key)
        idleSlots.set(slot.key, slot)
        slot.wake = resume
        if (!sweeping && !closing && Number.isFinite(idleMillis)) {
          sweeping = true
          run(sweep, forkOptions)
        }
      })

    const activate = (key: string): Slot<Msg> => {
      const slot = new Slot<Msg>(key, capacity)
      slot.handlers = {
        onSuccess: (value) => replied(slot, undefined, value),
        onFailure: (cause) => failedReply(slot, cause)
      }
      slots.set(key, slot)
      counters.workers++
      const worker = Effect.whileLoop({ while: () => !slot.done, body: () => step(slot), step: noop })
      run(worker, forkOptions).addObserver(() => {
        counters.workers--
      })
      return slot
    }

    // --- supervision (cold path) ---

    const park = (key: string, entry: Entry<Msg>, cause: Cause.Cause<unknown>, now: number): string => {
      const id = parked.park(key, entry, cause, now)
      pending.add(-1)
      return id
    }

    const defect = (slot: Slot<Msg>, cause: Cause.Cause<unknown>): Effect.Effect<void> => {
      const entry = slot.current!
      entry.attempts++
      counters.defect()
      const now = clock.unsafeCurrentTimeMillis()
      if (slot.budget === undefined)
        slot.budget = new RestartBudget.RestartBudget(policy.maxRestarts, policy.within)
      if (!slot.budget.record(now)) return stopKey(slot, cause, now, "restart budget spent")
      slot.restarting = true
      counters.restarting++
      pending.add(1)
      if (entry.attempts < policy.maxAttempts) return backoff(slot, cause, now, entry, undefined)
      slot.current = undefined
      counters.inFlight--
      const id = park(slot.key, entry, cause, now)
      return Effect.logWarning(`message parked after ${entry.attempts} attempts`, cause).pipe(
        Effect.annotateLogs({ actor: name, key: slot.key, parkedId: id }),
        Effect.zipRight(backoff(slot, cause, now, entry, id))
      )
    }

    const backoff = (
      slot: Slot<Msg>,
      cause: Cause.Cause<unknown>,
      now: number,
      died: Entry<Msg>,
      parkedId: string | undefined
    ): Effect.Effect<void> => {
      const schedule = policy.backoff
      const state = slot.backoffState === noState ? schedule.initial : slot.backoffState
      const restarted = Effect.sync(() => {
        slot.restarting = false
        counters.restarting--
        pending.add(-1)
      })
      return Effect.matchCauseEffect(
        Effect.suspend(() => schedule.step(now, undefined, state)),
        {
          // A broken backoff schedule must not kill the worker: the key stops and escalates instead.
          onFailure: (broken) =>
            Effect.zipRight(
              restarted,
              stopKey(slot, Cause.sequential(cause, broken), now, "backoff schedule failed")
            ),
          onSuccess: ([next, _, decision]): Effect.Effect<void> => {
            slot.backoffState = next
            if (ScheduleDecision.isDone(decision)) {
              return Effect.zipRight(restarted, stopKey(slot, cause, now, "backoff schedule exhausted"))
            }
            counters.restart()
            const delay = ScheduleIntervals.start(decision.intervals) - now
            const announced = env.restarted({
              actor: name,
              key: slot.key,
              cause,
              message: died.message,
              attempts: died.attempts,
              parkedId,
              restarts: counters.restarts,
              delayMillis: Math.max(0, delay),
              at: now
            })
            return Effect.zipRight(
              announced,
              delay > 0 ? Effect.zipRight(Effect.sleep(Duration.millis(delay)), restarted) : restarted
            )
          }
        }
      )
    }

    /** Stops a key's child: parks what it holds and what is queued for it, then escalates. */
    const stopKey = (
      slot: Slot<Msg>,
      cause: Cause.Cause<unknown>,
      now: number,
      why: string
    ): Effect.Effect<void> => {
      const key = slot.key
      const count = slot.budget?.count ?? 0
      const reason = `${why} (${count} restarts within ${Duration.format(policy.within)})`
      slot.done = true
      slots.delete(key)
      idleSlots.delete(key)
      stoppedKeys.set(key, reason)
      let parkedCount = 0
      const entry = slot.current
      if (entry !== undefined) {
        slot.current = undefined
        counters.inFlight--
        park(key, entry, cause, now)
        parkedCount++
      }
      const stoppedCause = Cause.fail(new Actor.ActorStopped({ actor: name, key, reason }))
      for (let queued = slot.poll(); queued !== undefined; queued = slot.poll()) {
        counters.depth--
        park(key, queued, stoppedCause, now)
        parkedCount++
      }
      counters.flush()
      counters.escalation()
      return env.escalate({
        actor: name,
        key,
        cause,
        causeText: Cause.pretty(cause),
        restarts: count,
        parked: parkedCount,
        at: now
      })
    }

    // --- passivation: one sweeper per actor, sleeping until the earliest idle deadline ---

    const sweep: Effect.Effect<void> = Effect.suspend(() => {
      const now = clock.unsafeCurrentTimeMillis()
      let next = -1
      for (const [key, slot] of idleSlots) {
        if (slot.wake === undefined || slot.done) {
          idleSlots.delete(key) // busy again: it re-enters at the end when it next goes idle
          continue
        }
        const deadline = slot.idleSince + idleMillis
        if (deadline > now) {
          next = deadline
          break
        }
        idleSlots.delete(key)
        slots.delete(key)
        slot.done = true
        counters.passivations++
        const wake = slot.wake
        slot.wake = undefined
        wake(resumeNow)
      }
      if (closing || (next < 0 && slots.size === 0)) {
        sweeping = false
        return Effect.void
      }
      // With no idle key yet, any key going idle from now on has its deadline at least idleMillis away.
      if (next < 0) next = now + idleMillis
      return Effect.zipRight(Effect.sleep(Duration.millis(next - now)), sweep)
    })

    // --- shutdown ---

    const shuttingDown = (key: string) =>
      new Actor.ActorStopped({ actor: name, key, reason: "actor is shutting down" })

    /** After the workers are interrupted: answers what they held or had queued, and clears the counters. */
    const dropLeftovers = () => {
      let dropped = 0
      const drop = (slot: Slot<Msg>, entry: Entry<Msg>) => {
        dropped++
        const reason = "actor stopped before handling the message (shutdown)"
        entry.reply?.(Exit.fail(new Actor.ActorStopped({ actor: name, key: slot.key, reason })))
        pending.add(-1)
      }
      for (const slot of slots.values()) {
        slot.done = true
        if (slot.current !== undefined) {
          counters.inFlight--
          drop(slot, slot.current)
          slot.current = undefined
        }
        if (slot.restarting) {
          slot.restarting = false
          counters.restarting--
          pending.add(-1)
        }
        for (let queued = slot.poll(); queued !== undefined; queued = slot.poll()) {
          counters.depth--
          drop(slot, queued)
        }
      }
      slots.clear()
      idleSlots.clear()
      counters.flush()
      return dropped
    }

    const shutdown = (exit: Exit.Exit<unknown, unknown>): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (shutdownDone !== undefined) return Deferred.await(shutdownDone)
        const done = Deferred.unsafeMake<void>(FiberId.none)
        shutdownDone = done
        closing = true
        // A scope closed by a failure is no graceful stop: interrupt at once rather than wait for the drain.
        const drain = Exit.isFailure(exit) && !Exit.isInterrupted(exit) ? Effect.void : pending.awaitZero
        return drain.pipe(
          Effect.timeoutOption(options.shutdownTimeout ?? env.shutdownTimeout),
          Effect.interruptible,
          Effect.exit,
          Effect.zipRight(FiberSet.clear(fibers)),
          Effect.zipRight(
            Effect.suspend(() => {
              const dropped = dropLeftovers()
              if (dropped === 0) return Effect.void
              return Effect.logWarning(`shutdown: ${dropped} messages interrupted or never handled`).pipe(
                Effect.annotateLogs({ actor: name })
              )
            })
          ),
          Effect.ensuring(
            Effect.sync(() => {
              stopped = true
              env.unregister(instance)
              Deferred.unsafeDone(done, Exit.void)
            })
          )
        )
      })

    const stats = (): Actor.ActorStats => ({
      name,
      mailboxDepth: counters.depth,
      inFlight: counters.inFlight,
      processed: counters.processed,
      failed: counters.failed,
      defects: counters.defects,
      restarts: counters.restarts,
      restarting: counters.restarting,
      parked: parked.size,
      activeKeys: slots.size,
      workers: counters.workers,
      passivations: counters.passivations,
      stoppedKeys: stoppedKeys.size,
      stopped
    })

    const instance: ActorInstance = { stats, shutdown }
    env.register(instance)
    yield* Effect.addFinalizer(shutdown)

    return {
      name,
      tell: (key, message) =>
        Effect.suspend(() => {
          const error = offer(key, new Entry(message, undefined, 0))
          return error === undefined ? Effect.void : Effect.fail(error)
        }),
      ask: (key, message) =>
        // One async registration per ask: the handler's exit resumes the caller directly.
        Effect.async<A, E | Actor.MailboxFull | Actor.ActorStopped | Actor.MessageParked>((resume) => {
          const error = offer(key, new Entry(message, resume, 0))
          if (error !== undefined) resume(Effect.fail(error))
        }),
      parked: Effect.sync(() => parked.list()),
      redrive: (parkedId) =>
        Effect.suspend((): Effect.Effect<void, Actor.NotParked | Actor.MailboxFull | Actor.ActorStopped> => {
          const message = parked.get(parkedId)
          if (message === undefined) return Effect.fail(new Actor.NotParked({ actor: name, parkedId }))
          if (closing) return Effect.fail(shuttingDown(message.key))
          // Redriving is the operator's decision that the key may run again.
          stoppedKeys.delete(message.key)
          const error = offer(message.key, new Entry(message.message, undefined, 0))
          if (error !== undefined) return Effect.fail(error)
          parked.remove(parkedId)
          return Effect.void
        }),
      discard: (parkedId) =>
        Effect.suspend((): Effect.Effect<void, Actor.NotParked> => {
          const message = parked.get(parkedId)
          if (message === undefined) return Effect.fail(new Actor.NotParked({ actor: name, parkedId }))
          parked.remove(parkedId)
          if (!parked.list().some((other) => other.key === message.key)) stoppedKeys.delete(message.key)
          return Effect.void
        }),
      stats: Effect.sync(stats)
    } satisfies Actor.ActorRef<Msg, A, E>
  })

// internal

const noop = () => {}
