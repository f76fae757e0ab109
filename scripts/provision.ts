import { connect } from "@nats-io/transport-node"
import { defaultJetStreamConfig } from "../infra/eventStore/jetStream"
import { integer, orExit, readConfig } from "../infra/config"
import { natsOptionsFromEnv } from "../infra/nats/NatsClient"
import { provisionAll } from "../infra/nats/provision"

/**
 * Provision a NATS deployment once, as its `admin` user: the EVENTS log, the
 * CMDS work queue and the weights and snapshots buckets, at NATS_REPLICAS
 * (1 on one server, 3 on a three-member cluster). Idempotent.
 *
 *   NATS_URL=nats://a:4222,nats://b:4222,nats://c:4222 NATS_USER=admin NATS_PASSWORD=… NATS_REPLICAS=3 \
 *     npx tsx scripts/provision.ts
 */
const config = orExit(() => readConfig({ NATS_REPLICAS: integer("replicas of the log, work queue and buckets", 1, 1, 5) }))
const nc = await connect(natsOptionsFromEnv("neuralink-provision"))
await provisionAll(nc, defaultJetStreamConfig, { replicas: config.NATS_REPLICAS })
console.log(`provisioned EVENTS, CMDS, weights and snapshots at R${config.NATS_REPLICAS}`)
await nc.close()
