import { eventStoreContract } from "../contract/eventStore"
import { toEventStore } from "../../infra/eventStore/backend"
import { InMemoryLog } from "../../infra/eventStore/inMemory"

eventStoreContract("in-memory", async () => ({
  store: toEventStore(new InMemoryLog()),
  [Symbol.asyncDispose]: async () => undefined
}))
