import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import type { FastifyInstance } from "fastify"
import { NotFoundInReadModel } from "./queries"

/**
 * The dashboard (`ui/`): static files, plain ES modules, no build step. The
 * browser's keccak-256 for the anchor-proof check is @noble/hashes' own ES
 * modules (what viem uses), served from node_modules, three files only.
 */
const uiDir = join(dirname(fileURLToPath(import.meta.url)), "../../ui")
const nobleDir = dirname(createRequire(import.meta.url).resolve("@noble/hashes/sha3.js"))
const TYPES: Record<string, string> = { html: "text/html; charset=utf-8", js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8" }
const own = new Map(["index.html", "app.js", "merkle.js", "style.css"].map((f) => [f, readFileSync(join(uiDir, f))]))
const vendor = new Map(["sha3.js", "_u64.js", "utils.js"].map((f) => [f, readFileSync(join(nobleDir, f))]))
const typeOf = (file: string) => TYPES[file.slice(file.lastIndexOf(".") + 1)]!

export const uiRoutes = (app: FastifyInstance) => {
  app.get("/ui", async (_request, reply) => reply.type(TYPES.html!).send(own.get("index.html")))
  app.get<{ Params: { file: string } }>("/ui/:file", async (request, reply) => {
    const body = own.get(request.params.file)
    if (!body) throw new NotFoundInReadModel({ resource: "ui file", id: request.params.file })
    return reply.type(typeOf(request.params.file)).send(body)
  })
  app.get<{ Params: { file: string } }>("/ui/vendor/noble-hashes/:file", async (request, reply) => {
    const body = vendor.get(request.params.file)
    if (!body) throw new NotFoundInReadModel({ resource: "ui file", id: request.params.file })
    return reply.type(typeOf(request.params.file)).send(body)
  })
}
