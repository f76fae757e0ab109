/**
 * State a command path keeps per event store (the API has one; tests run
 * many stores in one process, with the same stream names): made on first
 * use, gone with its store.
 */
export const perStore = <T>(make: () => T): ((store: object) => T) => {
  const held = new WeakMap<object, T>()
  return (store) => {
    let value = held.get(store)
    if (value === undefined) held.set(store, (value = make()))
    return value
  }
}
