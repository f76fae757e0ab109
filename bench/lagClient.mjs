// Entry of the lag rows' HTTP client thread (projections.bench.ts). Plain JS
// on purpose, as nodes/threads/thread.mjs: a thread registers the TypeScript
// loader itself before loading the client.
import { register } from "tsx/esm/api"

register()
await import("./lagClient.ts")
