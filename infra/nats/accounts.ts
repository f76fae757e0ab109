/**
 * Who may do what on NATS: the single source of the permissions that
 * `nats.conf` loads (it includes the `auth.conf` rendered from here).
 *
 * - Service roles share one user each: `admin` (provisioning), `api` (the only
 *   writer of the log and of content-addressed weights), `coordinator` (routes
 *   work), `bridge` (reads the log).
 * - Every node has its own user, `node-<nodeId>`: it may pull only its own
 *   work-queue consumer and read weights. No node can write weights (uploads go
 *   through the API, which checks the content hash and never overwrites), pull
 *   another node's queue, or read another client's replies: every user's
 *   replies arrive on its own inbox prefix `_INBOX_<user>` and it may
 *   subscribe to nothing else (a node also hears the announcement of its own
 *   queue's creation). A node publishes its heartbeat on
 *   `heartbeat.<cmd prefix>.<its id>` and nowhere else; only the coordinator
 *   listens to heartbeats.
 */
export type ServiceRole = "admin" | "api" | "coordinator" | "bridge"
export type NodeRole = "trainer" | "validator"
export const SERVICE_ROLES: ReadonlyArray<ServiceRole> = ["admin", "api", "coordinator", "bridge"]

export interface NodeAccount {
  readonly nodeId: string
  readonly role: NodeRole
  readonly password: string
}

export interface Permissions {
  readonly publish: ReadonlyArray<string>
  readonly subscribe: ReadonlyArray<string>
}

/** The environment variable nats-server reads a service role's password from (auth.conf names it). */
export const passwordVariable = (role: ServiceRole) => `NATS_${role.toUpperCase()}_PASSWORD`
/** The environment a server needs for the service roles' passwords given. */
export const passwordEnvironment = (passwords: Partial<Record<ServiceRole, string>>): Record<string, string> =>
  Object.fromEntries(Object.entries(passwords).map(([role, pw]) => [passwordVariable(role as ServiceRole), pw!]))

/** The NATS user of a node. */
export const nodeUser = (nodeId: string) => `node-${nodeId}`
/** Where a user's request replies arrive; clients must connect with it (`inboxPrefix`). */
export const inboxPrefixOf = (user: string) => `_INBOX_${user}`

/** Reading a stream: direct gets, gets from the leader (current reads on a cluster) and (ordered) consumers, flow control included (large messages and objects). */
const readStream = (stream: string): Array<string> => [
  `$JS.API.STREAM.INFO.${stream}`,
  `$JS.API.STREAM.MSG.GET.${stream}`,
  `$JS.API.DIRECT.GET.${stream}`,
  `$JS.API.DIRECT.GET.${stream}.>`,
  `$JS.API.CONSUMER.CREATE.${stream}`,
  `$JS.API.CONSUMER.CREATE.${stream}.>`,
  `$JS.API.CONSUMER.MSG.NEXT.${stream}.>`,
  `$JS.API.CONSUMER.INFO.${stream}.>`,
  `$JS.API.CONSUMER.DELETE.${stream}.>`,
  `$JS.FC.${stream}.>`
]

/** Read-only use of an object store bucket (get, info, list, watch): a stream read, plus message gets. */
const readBucket = (bucket: string): Array<string> => readStream(`OBJ_${bucket}`)

/** Writing new objects into a bucket (chunks and metadata); no purge, no delete of the stream. */
const writeBucket = (bucket: string): Array<string> => [`$O.${bucket}.>`]

export interface Names {
  readonly events: string
  readonly eventsPrefix: string
  readonly commands: string
  readonly commandsPrefix: string
  readonly weights: string
  readonly datasets: string
  readonly snapshots: string
}
export const defaultNames: Names = { events: "EVENTS", eventsPrefix: "events", commands: "CMDS", commandsPrefix: "cmd", weights: "weights", datasets: "datasets", snapshots: "snapshots" }

export const servicePermissions = (role: ServiceRole, n: Names = defaultNames): Permissions => {
  const inbox = `${inboxPrefixOf(role)}.>`
  switch (role) {
    case "admin":
      return { publish: [">"], subscribe: [">"] }
    case "api":
      return {
        publish: [
          "$JS.API.INFO",
          `${n.eventsPrefix}.>`,
          ...readStream(n.events),
          // The writer lease (infra/eventStore/writerLease.ts): its stream, and forwarding appends
          // to the holder, which answers on the sender's inbox (every API process is this user).
          `${n.eventsPrefix}_writer.>`,
          ...readStream(`${n.events}_WRITER`),
          inbox,
          ...readBucket(n.weights),
          ...writeBucket(n.weights),
          ...readBucket(n.datasets),
          ...writeBucket(n.datasets),
          ...readBucket(n.snapshots),
          ...writeBucket(n.snapshots),
          // Snapshots replace the previous checkpoint (the API owns that bucket alone).
          `$JS.API.STREAM.PURGE.OBJ_${n.snapshots}`
        ],
        subscribe: [inbox, `${n.eventsPrefix}.>`, `${n.eventsPrefix}_writer.append`]
      }
    case "coordinator":
      return {
        publish: [
          "$JS.API.INFO",
          `${n.commandsPrefix}.>`,
          `$JS.API.STREAM.INFO.${n.commands}`,
          `$JS.API.CONSUMER.CREATE.${n.commands}.>`,
          `$JS.API.CONSUMER.DURABLE.CREATE.${n.commands}.>`,
          `$JS.API.CONSUMER.INFO.${n.commands}.>`,
          ...readStream(n.events),
          ...readBucket(n.weights),
          ...readBucket(n.datasets)
        ],
        // Every node's heartbeat (failure detection).
        subscribe: [inbox, `heartbeat.${n.commandsPrefix}.*`]
      }
    case "bridge":
      return { publish: ["$JS.API.INFO", ...readStream(n.events)], subscribe: [inbox] }
  }
}

/** A node: its own work-queue consumer (`node-<id>`), read-only weights and dataset shards, its own inbox. */
export const nodePermissions = (nodeId: string, n: Names = defaultNames): Permissions => {
  const consumer = `node-${nodeId}`
  return {
    publish: [
      "$JS.API.INFO",
      `$JS.API.CONSUMER.INFO.${n.commands}.${consumer}`,
      `$JS.API.CONSUMER.MSG.NEXT.${n.commands}.${consumer}`,
      `$JS.ACK.${n.commands}.${consumer}.>`,
      // Its own heartbeat subject only: a node cannot speak for another.
      `heartbeat.${n.commandsPrefix}.${nodeId}`,
      ...readBucket(n.weights),
      ...readBucket(n.datasets)
    ],
    // Its inbox, and JetStream's announcement that its own queue was created (so it starts
    // working the moment it joins, not a poll later); no other node's.
    subscribe: [`${inboxPrefixOf(nodeUser(nodeId))}.>`, `$JS.EVENT.ADVISORY.CONSUMER.CREATED.${n.commands}.${consumer}`]
  }
}

const quote = (s: string) => JSON.stringify(s)
const list = (xs: ReadonlyArray<string>) => `[${xs.map(quote).join(", ")}]`
const user = (name: string, password: string, p: Permissions) =>
  `    { user: ${quote(name)}, password: ${password}, permissions: { publish: { allow: ${list(p.publish)} }, subscribe: { allow: ${list(p.subscribe)} } } }`

/**
 * The `authorization` block nats.conf includes. Service passwords stay in the
 * environment (`$NATS_<ROLE>_PASSWORD`); node passwords are written in.
 */
export const renderAuthorization = (nodes: ReadonlyArray<NodeAccount>, names: Names = defaultNames): string => {
  for (const node of nodes) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(node.nodeId)) throw new Error(`node id ${node.nodeId} cannot be a NATS user name`)
    if (!/^[A-Za-z][A-Za-z0-9]{15,}$/.test(node.password)) throw new Error(`node ${node.nodeId}: passwords are 16+ letters/digits starting with a letter`)
  }
  return [
    "# Generated by infra/nats/accounts.ts: edit the permissions there, not here.",
    "authorization {",
    "  users: [",
    ...SERVICE_ROLES.map((role) => user(role, `$${passwordVariable(role)}`, servicePermissions(role, names))),
    ...nodes.map((node) => user(nodeUser(node.nodeId), quote(node.password), nodePermissions(node.nodeId, names))),
    "  ]",
    "}",
    ""
  ].join("\n")
}
