import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"

// Vitest's workers do not run with --expose-gc, so `global.gc` is undefined and
// RSS is all a test could read: RSS keeps freed pages the allocator has not
// returned and counts whatever else the shared worker did, so it grew 70 MB on
// a busy CI run with nothing leaked. Turning the flag on at run time gives a
// real collector; live JS heap plus buffers after two full collections is what
// a leak of per-connection state would raise.
setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

/** Bytes still reachable (JS heap + array buffers) after full collections. */
export const liveBytes = async (): Promise<number> => {
  for (let i = 0; i < 2; i++) {
    gc()
    // Let finalizers and pending socket closes run between collections.
    await new Promise((r) => setImmediate(r))
  }
  const m = process.memoryUsage()
  return m.heapUsed + m.arrayBuffers
}
