import { Result } from "effect"
import { expect } from "vitest"
import { fold, type Decider } from "../../domain/decider"

/** The history after a command that must succeed: for building a spec's `given`. */
export const applying =
  <C, E, S, Err>(decider: Decider<C, E, S, Err>) =>
  (history: ReadonlyArray<E>, command: C): ReadonlyArray<E> => {
    const r = decider.decide(command, fold(decider, history))
    if (Result.isFailure(r)) throw new Error(`expected events, got ${JSON.stringify(r.failure)}`)
    return [...history, ...r.success]
  }

/**
 * given(events).when(command).then(events) / .thenFails("ErrorTag"), in the
 * style of emmett's DeciderSpecification: pure, no store, no Effect runtime.
 */
export const deciderSpec = <C, E, S, Err>(decider: Decider<C, E, S, Err>) => ({
  given: (events: ReadonlyArray<E>) => ({
    when: (command: C) => {
      const decision = () => decider.decide(command, fold(decider, events))
      return {
        then: (expected: ReadonlyArray<E>) => {
          const r = decision()
          if (Result.isFailure(r)) throw new Error(`expected events, got ${JSON.stringify(r.failure)}`)
          expect(r.success).toEqual(expected)
          return r.success
        },
        /** For decisions with computed parts: inspect the events yourself. */
        thenEvents: (check: (events: ReadonlyArray<E>) => void) => {
          const r = decision()
          if (Result.isFailure(r)) throw new Error(`expected events, got ${JSON.stringify(r.failure)}`)
          check(r.success)
          return r.success
        },
        thenFails: (tag: string, fields?: Record<string, unknown>) => {
          const r = decision()
          if (Result.isSuccess(r)) throw new Error(`expected ${tag}, got events ${JSON.stringify(r.success, (_, v) => (typeof v === "bigint" ? `${v}n` : v))}`)
          expect((r.failure as { _tag: string })._tag).toBe(tag)
          if (fields) expect(r.failure).toMatchObject(fields)
          return r.failure
        }
      }
    }
  })
})
