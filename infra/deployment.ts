import { existsSync, readFileSync, writeFileSync } from "node:fs"
import { Schema } from "effect"

/**
 * Where a running network is: written by the dev stack (`.data/deployment.json`),
 * read by the CLI's audit commands so an operator need not copy addresses and
 * passwords out of logs. Passwords stay in their own file (mode 0600); the
 * record only names it and which NATS user may read the log.
 */
export const Deployment = Schema.Struct({
  api: Schema.String,
  nats: Schema.Struct({
    url: Schema.String,
    /** A user allowed to read the event log (the chain bridge's: read-only on it). */
    readUser: Schema.String,
    /** The JSON file holding each role's password under `roles.<user>`. */
    credentialsFile: Schema.String
  }),
  chain: Schema.Struct({
    rpc: Schema.String,
    chainId: Schema.Number,
    anchorContract: Schema.String,
    /** NeuraToken, NeuraEscrow and ModelRegistry (on-chain settlement; docs/settlement.md). */
    token: Schema.optional(Schema.String),
    escrow: Schema.optional(Schema.String),
    registry: Schema.optional(Schema.String),
    deployedAtBlock: Schema.Number,
    /** A development chain only: the key holding the genesis supply, which `neura faucet` spends. */
    faucetKey: Schema.optional(Schema.String)
  }),
  writtenAt: Schema.String
})
export type Deployment = typeof Deployment.Type

export const DEPLOYMENT_FILE = ".data/deployment.json"

export const writeDeployment = (d: Deployment, file = DEPLOYMENT_FILE) => writeFileSync(file, `${JSON.stringify(d, null, 2)}\n`)

/** The record, undefined when the file does not exist; a malformed one throws, naming the file. */
export const readDeployment = (file = DEPLOYMENT_FILE): Deployment | undefined => {
  if (!existsSync(file)) return undefined
  const decoded = Schema.decodeUnknownExit(Deployment)(JSON.parse(readFileSync(file, "utf8")))
  if (decoded._tag === "Failure") throw new Error(`${file} is not a deployment record: ${String(decoded.cause).split("\n")[0]}`)
  return decoded.value
}

/** The dev stack's credentials file: each role's password, and each node's (`nodes.<id>`). */
export const readCredentials = (file: string) =>
  JSON.parse(readFileSync(file, "utf8")) as { readonly roles?: Record<string, string>; readonly nodes?: Record<string, { readonly password: string }> }

/** The password of a role's NATS user from the deployment's credentials file. */
export const natsPasswordOf = (d: Deployment, user: string): string => {
  const password = readCredentials(d.nats.credentialsFile).roles?.[user]
  if (!password) throw new Error(`${d.nats.credentialsFile} has no password for NATS user ${user}`)
  return password
}
