// Entry of a hash-check thread (see hashCheckPool.ts). Plain JS on purpose: a
// thread does not inherit the TypeScript loader (not under `node --import
// tsx`, not under vitest), so it registers its own before loading the thread's code.
import { register } from "tsx/esm/api"

register()
await import("./hashCheckThread.ts")
