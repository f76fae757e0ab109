/**
 * A unit of training work is its shards and its seed: a result delivers an
 * assignment when it trained exactly those shards, in that order, with that
 * seed. The decider and the coordinator both match work this way.
 */
export interface Work {
  readonly seed: number
  readonly shardIds: ReadonlyArray<string>
}

export const sameWork = (a: Work, b: Work): boolean =>
  a.seed === b.seed && a.shardIds.length === b.shardIds.length && a.shardIds.every((id, i) => id === b.shardIds[i])
