#!/usr/bin/env node
// `npx neura …` from the repo: the CLI is TypeScript, run through tsx's loader (no build step).
import { register } from "tsx/esm/api"
register()
await import("./main.ts")
