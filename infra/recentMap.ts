/**
 * A bounded map that keeps what was used lately, in constant time per
 * operation: for the caches on hot paths (recovered signers, folded streams,
 * stream heads), which fill up in a long-running process and then evict on
 * every insert.
 *
 * Why not a `Map` evicting its first key (`map.keys().next()`) on each
 * insert: V8 leaves a hole where an entry was deleted and compacts only now
 * and then, and a new iterator walks over every hole at the front, so at
 * 10,000 entries each insert cost ~6 µs instead of ~0.2 µs (measured with
 * Node 20; it showed as a sixth of a pipelined append's time).
 *
 * Two generations instead: entries go into the young one; when it holds half
 * the capacity it becomes the old one (the previous old one is dropped whole)
 * and a new young one starts; reading an old entry moves it into the young
 * one. So it holds at most `capacity` entries and always at least the
 * `capacity / 2` most recently set or read.
 */
export class RecentMap<K, V> {
  private young = new Map<K, V>()
  private old = new Map<K, V>()
  private readonly generation: number

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 2) throw new RangeError(`RecentMap capacity must be an integer >= 2; got ${capacity}`)
    this.generation = Math.floor(capacity / 2)
  }

  get(key: K): V | undefined {
    if (this.young.has(key)) return this.young.get(key)
    if (!this.old.has(key)) return undefined
    const value = this.old.get(key) as V
    this.set(key, value)
    return value
  }

  has(key: K): boolean {
    return this.young.has(key) || this.old.has(key)
  }

  set(key: K, value: V): this {
    // An older copy must not outlive this one (it would come back when the young generation rotates away).
    this.old.delete(key)
    this.young.set(key, value)
    if (this.young.size >= this.generation) {
      this.old = this.young
      this.young = new Map()
    }
    return this
  }

  delete(key: K): boolean {
    const inYoung = this.young.delete(key)
    return this.old.delete(key) || inYoung
  }

  clear(): void {
    this.young.clear()
    this.old.clear()
  }

  /** Entries held now (at most the capacity). */
  get size(): number {
    return this.young.size + this.old.size
  }
}
