import { Duration } from "effect"

/** Restart history of one child, deciding when the intensity budget is spent. */
export class RestartBudget {
  private readonly times: Array<number> = []
  private readonly withinMillis: number

  constructor(
    private readonly maxRestarts: number,
    within: Duration.DurationInput
  ) {
    this.withinMillis = Duration.toMillis(within)
  }

  /** Records a restart at `now`; returns false when it exceeds the budget (more than maxRestarts within the window). */
  record(now: number): boolean {
    const horizon = now - this.withinMillis
    while (this.times.length > 0 && this.times[0]! <= horizon) this.times.shift()
    this.times.push(now)
    return this.times.length <= this.maxRestarts
  }

  /** Restarts currently counted in the window. */
  get count(): number {
    return this.times.length
  }
}
