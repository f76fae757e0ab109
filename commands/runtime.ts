import { Effect, Exit, type ManagedRuntime } from "effect"
import type { EventStore } from "../domain/ports"

/** Services the API needs; one ManagedRuntime built at start and shared by all routes. */
export type ApiServices = EventStore
export type ApiRuntime = ManagedRuntime.ManagedRuntime<ApiServices, unknown>

/**
 * Run an Effect for a request: success value, or the typed failure (thrown as
 * is, for the error handler's table). Defects become 500s.
 */
export const runForRequest = async <A, E>(runtime: ApiRuntime, effect: Effect.Effect<A, E, ApiServices>): Promise<A> => {
  const exit = await runtime.runPromiseExit(effect)
  if (Exit.isSuccess(exit)) return exit.value
  const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (failure && failure._tag === "Fail") throw failure.error
  throw new Error(String(exit.cause))
}

