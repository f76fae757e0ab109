import type { Result } from "effect"

/**
 * An aggregate's whole behaviour: `decide` turns a command and the current
 * state into new events (or a domain error), `evolve` folds an event into the
 * state. Both pure and synchronous; time, ids and facts about other aggregates
 * come in on the command.
 */
export interface Decider<Command, Event, State, Error> {
  readonly decide: (command: Command, state: State) => Result.Result<ReadonlyArray<Event>, Error>
  readonly evolve: (state: State, event: Event) => State
  readonly initialState: State
}

export const fold = <Event, State>(decider: Pick<Decider<never, Event, State, never>, "evolve" | "initialState">, events: Iterable<Event>): State => {
  let state = decider.initialState
  for (const event of events) state = decider.evolve(state, event)
  return state
}
