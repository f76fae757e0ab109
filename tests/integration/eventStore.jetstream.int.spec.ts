import {  } from "vitest"
import { eventStoreContract } from "../contract/eventStore"
import { jetStreamLogFixture } from "../support/jetStreamFixture"
import { natsServerPerFile } from "../support/natsServer"

const nats = natsServerPerFile()

eventStoreContract("JetStream", () => jetStreamLogFixture(nats.server.url))
