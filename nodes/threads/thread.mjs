// Entry of an ML thread (see pool.ts). Plain JS on purpose: a thread does not
// inherit the TypeScript loader (not under `node --import tsx`, not under
// vitest), so it registers its own before loading the thread's code.
import { register } from "tsx/esm/api"

register()
await import("./thread.ts")
