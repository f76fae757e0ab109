import { AnchorRejected, ChainUnavailable, describeError } from "../chain-bridge/ChainClient"
import { ApiError } from "../commands/client"
import { KeystoreInvalid, WrongPassword } from "../infra/identity/keystore"
import { commandHelp, contextOf, jsonText, overallHelp, parseCommand, UsageError, type CliCommand } from "./cli"
import { auditCommands } from "./commands/audit"
import { chainCommands } from "./commands/chain"
import { keyCommands } from "./commands/keys"
import { modelCommands } from "./commands/models"
import { nodeCommands } from "./commands/node"
import { readCommands } from "./commands/read"
import { taskCommands } from "./commands/task"

/**
 * `neura`: the command line over the HTTP API (and, for audits, over the log
 * and the chain directly). `npm run neura -- <command> … [--json]`.
 * Exit status: 0 done; 1 refused by the API or failed; 2 usage; 3 a task
 * exhausted or a scoring failed.
 */
const commands: ReadonlyArray<CliCommand> = [...taskCommands, ...readCommands, ...modelCommands, ...keyCommands, ...nodeCommands, ...auditCommands, ...chainCommands]

const argv = process.argv.slice(2)
// The longest run of leading words naming a command ("models ls" before "models").
const command = [2, 1].map((n) => commands.find((c) => c.name === argv.slice(0, n).join(" "))).find((c) => c !== undefined)
if (!command) {
  const asked = argv[0]
  if (asked && asked !== "--help" && asked !== "help") console.error(`neura: unknown command ${argv.slice(0, 2).join(" ")}\n`)
  console.error(overallHelp(commands))
  process.exit(asked === "--help" || asked === "help" ? 0 : 2)
}

const rest = argv.slice(command.name.split(" ").length)
let parsed: ReturnType<typeof parseCommand>
try {
  parsed = parseCommand(command, rest)
} catch (e) {
  console.error(`neura ${command.name}: ${e instanceof Error ? e.message : String(e)}\n\n${commandHelp(command)}`)
  process.exit(2)
}
if (parsed.values.help) {
  console.log(commandHelp(command))
  process.exit(0)
}

const ctx = contextOf(parsed.values)
try {
  process.exitCode = await command.run(ctx, parsed.positionals, parsed.values)
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`neura ${command.name}: ${e.message}\n\n${commandHelp(command)}`)
    process.exitCode = 2
  } else if (e instanceof ApiError) {
    if (ctx.json) console.log(jsonText({ status: e.status, ...e.problem }))
    else console.error(`${e.status} ${e.problem.code}${e.problem.detail ? `: ${e.problem.detail}` : ""}`)
    process.exitCode = 1
  } else if (e instanceof WrongPassword || e instanceof KeystoreInvalid) {
    console.error(`neura ${command.name}: ${e.message}`)
    process.exitCode = 1
  } else {
    const cause = e instanceof Error && e.cause instanceof Error ? ` (${e.cause.message})` : ""
    // A contract's refusal carries its reason, e.g. AlreadyClaimed(…).
    const chainError = e instanceof AnchorRejected || e instanceof ChainUnavailable
    console.error(`neura ${command.name}: ${chainError ? describeError(e) : `${e instanceof Error ? e.message : String(e)}${cause} — is the API at ${ctx.api}?`}`)
    process.exitCode = 1
  }
}
