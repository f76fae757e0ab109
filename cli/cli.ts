import { readFileSync } from "node:fs"
import { parseArgs } from "node:util"
import { httpTransport, NeuraClient } from "../commands/client"
import { readDeployment, type Deployment } from "../infra/deployment"
import { devKey } from "../infra/identity/devKeys"
import { decryptKey } from "../infra/identity/keystore"
import { keyPairFromSecret, type KeyPair } from "../infra/identity/signature"

/**
 * The shape of every `neura` command: its words ("models ls"), its
 * arguments, its own options, and what it does. Parsing is Node's own
 * util.parseArgs; every command answers --help and --json.
 */
export interface CliOption {
  readonly type: "string" | "boolean"
  readonly description: string
}

export interface CliCommand {
  readonly name: string
  readonly args: string
  readonly summary: string
  readonly options?: Readonly<Record<string, CliOption>>
  /** The exit status: 0 success; 1 refused or failed; 2 usage; others as the command documents. */
  readonly run: (ctx: Ctx, positionals: ReadonlyArray<string>, values: Readonly<Record<string, string | boolean | undefined>>) => Promise<number>
}

export const GLOBAL_OPTIONS: Readonly<Record<string, CliOption>> = {
  api: { type: "string", description: "the API's URL (default: NEURA_API, else the deployment record's, else http://127.0.0.1:8080)" },
  json: { type: "boolean", description: "machine-readable output: one JSON document (NDJSON for streams)" },
  help: { type: "boolean", description: "this command's usage" },
  key: { type: "string", description: "signing identity: a dev key name or 0x<32-byte secret> (NEURA_KEY)" },
  keystore: { type: "string", description: "signing identity from a Web3 Secret Storage v3 file; password in NEURA_KEYSTORE_PASSWORD" },
  deployment: { type: "string", description: "the deployment record (default $NEURA_DATA_DIR/deployment.json, else .data/deployment.json: written by the dev stack)" }
}

export class UsageError extends Error {}

export interface Ctx {
  readonly api: string
  readonly json: boolean
  /** An unsigned client (reads). */
  readonly reader: NeuraClient
  /** The signing client: --keystore, --key or NEURA_KEY; a usage error when none is given. */
  readonly signer: () => NeuraClient
  readonly deployment: () => Deployment
  /** Human text, or in --json mode the value as one JSON line. */
  readonly print: (human: string, json?: unknown) => void
}

const keyFrom = (values: Readonly<Record<string, string | boolean | undefined>>): KeyPair | undefined => {
  const keystore = values.keystore as string | undefined
  if (keystore) {
    const password = process.env.NEURA_KEYSTORE_PASSWORD
    if (password === undefined) throw new UsageError("--keystore needs the password in NEURA_KEYSTORE_PASSWORD")
    return decryptKey(JSON.parse(readFileSync(keystore, "utf8")), password)
  }
  const key = (values.key as string | undefined) ?? process.env.NEURA_KEY
  if (!key) return undefined
  return /^0x[0-9a-fA-F]{64}$/.test(key) ? keyPairFromSecret(key) : devKey(key)
}

export const jsonText = (value: unknown) => JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v))

export const contextOf = (values: Readonly<Record<string, string | boolean | undefined>>): Ctx => {
  // The dev stack writes its record into NEURA_DATA_DIR (default .data).
  const deploymentFile = (values.deployment as string | undefined) ?? (process.env.NEURA_DATA_DIR ? `${process.env.NEURA_DATA_DIR}/deployment.json` : undefined)
  const record = () => readDeployment(deploymentFile)
  const api = ((values.api as string | undefined) ?? process.env.NEURA_API ?? record()?.api ?? "http://127.0.0.1:8080").replace(/\/$/, "")
  const transport = httpTransport(api)
  const json = values.json === true
  return {
    api,
    json,
    reader: new NeuraClient(transport, devKey("cli")),
    signer: () => {
      const key = keyFrom(values)
      if (!key) throw new UsageError("this command signs: pass --key <dev name | 0x secret>, NEURA_KEY, or --keystore <file>")
      return new NeuraClient(transport, key)
    },
    deployment: () => {
      const d = record()
      if (!d) throw new UsageError(`no deployment record at ${deploymentFile ?? ".data/deployment.json"}: start the dev stack (bash scripts/dev.sh) or pass --deployment <file>`)
      return d
    },
    print: (human, value) => console.log(json ? jsonText(value === undefined ? { message: human } : value) : human)
  }
}

/** Parse one command's argv (after its words) against its options and the global ones. */
export const parseCommand = (command: CliCommand, argv: ReadonlyArray<string>) =>
  parseArgs({
    args: [...argv],
    options: Object.fromEntries(Object.entries({ ...GLOBAL_OPTIONS, ...command.options }).map(([k, o]) => [k, { type: o.type }])),
    allowPositionals: true,
    strict: true
  })

const optionLines = (options: Readonly<Record<string, CliOption>>) =>
  Object.entries(options).map(([k, o]) => `  --${k}${o.type === "string" ? " <value>" : ""}`.padEnd(26) + o.description)

export const commandHelp = (c: CliCommand) =>
  [`usage: neura ${c.name}${c.args ? ` ${c.args}` : ""} [options]`, "", c.summary, "", "options:", ...optionLines({ ...c.options }), ...optionLines(GLOBAL_OPTIONS)].join("\n")

export const overallHelp = (commands: ReadonlyArray<CliCommand>) =>
  [
    "usage: neura <command> [arguments] [options]   (npm run neura -- <command> …)",
    "",
    "commands:",
    ...commands.map((c) => `  ${`${c.name} ${c.args}`.trim().padEnd(52)}${c.summary.split(". ")[0]}`),
    "",
    "every command takes --help and --json; signing commands take --key or --keystore."
  ].join("\n")

/** A listing: GET `path` (a page of `items`), one line per item, or the items as JSON. */
export const printList = async (ctx: Ctx, path: string, line: (item: any) => string, none: string) => {
  const { items } = await ctx.reader.get(path)
  ctx.print(items.map(line).join("\n") || none, items)
  return 0
}

/** One read-model document: GET `path`, its `key` member, pretty-printed or as JSON. */
export const printDoc = async (ctx: Ctx, path: string, key: string) => {
  const doc = (await ctx.reader.get(path))[key]
  ctx.print(JSON.stringify(doc, null, 2), doc)
  return 0
}
