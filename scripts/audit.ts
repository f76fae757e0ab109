import { Layer, ManagedRuntime, Schema } from "effect"
import { readFileSync } from "node:fs"
import { EventStore } from "../domain/ports"
import { RecordedEvent, type EncodedRecordedEvent } from "../domain/recordedEvent"
import { EventStoreFromEnv } from "../infra/eventStore"
import { readWholeLog, type ForeignMessage } from "../infra/eventStore/wholeLog"
import { auditLog } from "../projections/audit"

/**
 * Audit replay from the command line:
 *   npx tsx scripts/audit.ts [--file log.json] [--api http://127.0.0.1:8080]
 * Replays the whole log (the live store by default, or an exported copy with
 * --file) into fresh read models, verifies the hash chain and every node
 * signature, and with --api diffs the rebuilt read models against the live
 * ones the API serves. Prints a JSON report; exits 1 on any problem.
 */
const arg = (name: string) => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : undefined
}
const file = arg("--file")
const api = arg("--api")

let events: ReadonlyArray<EncodedRecordedEvent>
let foreign: ReadonlyArray<ForeignMessage> = []
if (file) {
  events = JSON.parse(readFileSync(file, "utf8"))
} else {
  const runtime = ManagedRuntime.make(EventStoreFromEnv("audit") as Layer.Layer<EventStore, unknown>)
  const log = await runtime.runPromise(EventStore.use((s) => readWholeLog(s)))
  events = Schema.encodeSync(Schema.Array(RecordedEvent))(log.events)
  foreign = log.foreign
  await runtime.dispose()
}
const live = api ? ((await (await fetch(`${api}/audit/projections`)).json()) as Parameters<typeof auditLog>[1]) : undefined
const report = auditLog(events, live, foreign)
console.log(JSON.stringify(report, null, 2))
process.exit(report.ok ? 0 : 1)
