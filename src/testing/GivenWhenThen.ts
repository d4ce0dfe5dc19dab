import type { DecodeFailure, HostDefinition } from "../commit/HostDefinition.js"
import * as Spec from "./internal/givenWhenThen.js"

export type {
  Decide,
  Decider,
  Delivery,
  Given,
  Run,
  Specification,
  Step,
  Subject,
  Then
} from "./internal/givenWhenThen.js"

/**
 * Given/when/then for a pure decide: `GivenWhenThen.for(MyHost.definition).given(a, b).when(c).thenEmits({ events })`.
 * The subject is a host definition (its `decide` as the host runs it), a decide function taking the plain context
 * (message id and time), or a decider with its own context; the specification also runs histories (`run`, `apply`)
 * for property tests.
 */
function for_<S, In, Ev, Cmd, E extends DecodeFailure>(
  definition: HostDefinition<S, In, Ev, Cmd, E>
): Spec.Specification<S, In, Ev, Cmd>
function for_<S, M, Ev, Cmd>(decide: Spec.Decide<S, M, Ev, Cmd>): Spec.Specification<S, M, Ev, Cmd>
function for_<S, M, Ev, Cmd, Ctx>(
  decider: Spec.Decider<S, M, Ev, Cmd, Ctx>
): Spec.Specification<S, M, Ev, Cmd>
function for_<S, M, Ev, Cmd, Ctx>(
  subject: Spec.Subject<S, M, Ev, Cmd, Ctx>
): Spec.Specification<S, M, Ev, Cmd> {
  return Spec.make(subject)
}

export { for_ as for }

/** A message delivered with the id `messageId` (and, optionally, the time it occurred): deliver it twice to redeliver. */
export const withId: <M>(messageId: string, message: M, occurredAt?: number) => Spec.Delivery<M> = Spec.withId
