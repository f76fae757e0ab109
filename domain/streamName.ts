/**
 * Stream names are `<aggregate>-<id>` (e.g. `task-T42`, `model-M-23`). The
 * aggregate is a camelCase word, the id an EntityId. Both become NATS subject
 * tokens (`events.<aggregate>.<id>`), so dots, spaces and wildcards are never
 * allowed: a stream name that could not round-trip is refused at the edge.
 */
export interface StreamName {
  readonly aggregate: string
  readonly id: string
}

const AGGREGATE = /^[a-z][A-Za-z0-9]{0,63}$/
const ID = /^[A-Za-z0-9_-]{1,128}$/

/** Returns the parts, or a reason the name is not a valid stream name. */
export const parseStreamName = (name: string): StreamName | { readonly invalid: string } => {
  const dash = name.indexOf("-")
  if (dash <= 0) return { invalid: `stream name "${name}" must look like <aggregate>-<id>` }
  const aggregate = name.slice(0, dash)
  const id = name.slice(dash + 1)
  if (!AGGREGATE.test(aggregate)) return { invalid: `aggregate "${aggregate}" must match ${AGGREGATE}` }
  if (!ID.test(id)) return { invalid: `id "${id}" must match ${ID}` }
  return { aggregate, id }
}

export const isAggregateName = (aggregate: string): boolean => AGGREGATE.test(aggregate)
