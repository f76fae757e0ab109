import { commitTextBytes, prepareAppend } from "../../infra/eventStore/codec"
import { EMPTY_TIP, sealCommit, type ChainTip } from "../../infra/eventStore/hashChain"
import { toLogEntry } from "../../infra/eventStore/logConsumer"
import { signCommand, SIGNING_SCHEME, signingDomain, type KeyPair } from "../../infra/identity/signature"
import type { DomainEvent } from "../../domain/events"
import type { RecordedEvent } from "../../domain/recordedEvent"

/**
 * Commits sealed and stored as the JetStream log stores them, read back as
 * its verifiers read them (each event with its stored bytes), without a
 * server: for the specs of hashing events as stored (storedText, parallel
 * verification). Their events carry decoys: text that looks like a hash
 * member or the next event, inside values.
 */
export const owner = `0x${"ab".repeat(20)}`
// Decoys: a dataset name holding the text of a hash member and of a commit's next event (inside a
// string every quote is escaped), and a signed payload whose objects have real `hash` members
// (deeper in the envelope than its own; the scan counts depth).
const decoy = `x","hash":"0x${"00".repeat(32)}","id":"y"},{"commitSize":2,"data":{`
const payload = { hash: `0x${"00".repeat(32)}`, id: "y", inner: { commitSize: 1, hash: `0x${"ff".repeat(32)}`, id: "z" } }
export const escrow = (i: number): DomainEvent => ({ _tag: "BudgetEscrowed", taskId: `T${i}`, owner, amount: 1_000n + BigInt(i), escrowedAt: "2026-11-27T01:00:00.000Z" }) as DomainEvent
export const dataset = (i: number): DomainEvent =>
  ({
    _tag: "DatasetRegistered",
    datasetId: `D${i}`,
    name: decoy,
    contentHash: `0x${"12".repeat(32)}`,
    licence: "CC-BY-4.0",
    sampleCount: 10,
    split: "training",
    shards: [{ shardId: "s1", contentHash: `0x${"34".repeat(32)}`, sampleCount: 10, provider: owner }],
    registeredBy: owner,
    registeredAt: "2026-11-27T01:00:00.000Z"
  }) as unknown as DomainEvent

// A model's topology is free JSON in the event's data, before the envelope's own `hash` member.
export const model = (i: number): DomainEvent =>
  ({
    _tag: "ModelRegistered",
    modelId: `M-${i}`,
    name: "m",
    description: decoy,
    owner,
    topology: { hash: `0x${"00".repeat(32)}`, id: "y", layers: [{ commitSize: 2, hash: `0x${"ee".repeat(32)}` }] },
    topologyHash: `0x${"56".repeat(32)}`,
    origin: { _tag: "New" },
    registeredAt: "2026-11-27T01:00:00.000Z"
  }) as unknown as DomainEvent

/** Seal commits one after another and store them as the JetStream log does: each message's bytes at its sequence. */
export const storedLog = (
  commits: ReadonlyArray<ReadonlyArray<DomainEvent>>,
  /** Each commit's command signed by this key, as the API stores it (else unsigned, with `owner` as its actor). */
  signer?: KeyPair,
  /** Positions other messages (foreign ones) hold: the commits are sealed at the positions between them. */
  taken: ReadonlySet<number> = new Set()
) => {
  let tip: ChainTip = EMPTY_TIP
  return commits.map((events, i) => {
    while (taken.has(tip.globalPosition + 1)) tip = { ...tip, globalPosition: tip.globalPosition + 1 }
    const command = { type: "RegisterDataset", id: `c${i}`, issuedAt: "2026-11-27T01:00:00.000Z", payload }
    const metadata = signer
      ? { actor: signer.address, signature: signCommand(signer, command.type, payload, { commandId: command.id, issuedAt: command.issuedAt }).signature, command: { ...command, scheme: SIGNING_SCHEME, chainId: signingDomain().chainId } }
      : { actor: owner as never, command }
    const p = prepareAppend({ stream: `dataset-D${i}`, expectedRevision: "no_stream", events, commandId: `c${i}`, metadata })
    const sealed = sealCommit({ tip, stream: p.stream, firstStreamPosition: 0, events: p.events, metadata: p.metadata, recordedAt: "2026-11-27T01:00:01.000Z", canonical: p.canonical })
    tip = sealed.tip
    return { json: sealed.json, sealed: sealed.events, position: sealed.tip.globalPosition }
  })
}
export const read = (texts: ReadonlyArray<string>): Array<RecordedEvent> =>
  texts.flatMap((text, i) => {
    const entry = toLogEntry("events", `events.dataset.D${i}`, commitTextBytes(text), i + 1, true)
    if (entry._tag !== "Commit") throw new Error(`not a commit: ${entry.reason}`)
    return [...entry.events]
  })
