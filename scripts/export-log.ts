import { Layer, ManagedRuntime, Schema, Stream } from "effect"
import { EventStore } from "../domain/ports"
import { RecordedEvent } from "../domain/recordedEvent"
import { EventStoreFromEnv } from "../infra/eventStore"

/** Write the whole log, as stored (encoded envelopes), to stdout as JSON: a copy anyone can audit. */
const runtime = ManagedRuntime.make(EventStoreFromEnv("export") as Layer.Layer<EventStore, unknown>)
const events = await runtime.runPromise(EventStore.use((s) => Stream.runCollect(s.readAll())))
process.stdout.write(JSON.stringify(Schema.encodeSync(Schema.Array(RecordedEvent))(events)))
await runtime.dispose()
