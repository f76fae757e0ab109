import type { Hex } from "viem"
import type { EncodedRecordedEvent } from "../domain/recordedEvent"
import { computeEventHash } from "../infra/eventStore/hashChain"
import { signatureRecovers, type SignedCommandRecord } from "../infra/identity/commandSignature"
import { leafOf, processProof } from "./anchor"

/** One proven event as GET /results/:id/proof (and GET /events/:p/proof) returns it. */
export interface ProvenEvent {
  readonly event: EncodedRecordedEvent
  readonly eventHash: Hex
  readonly leaf: Hex
  readonly proof: ReadonlyArray<Hex>
  readonly root: Hex
  readonly anchor: { readonly chainId: number; readonly contract: string; readonly index: number }
}

export interface EventCheck {
  readonly position: string
  readonly type: string
  readonly signer?: string
  readonly problems: ReadonlyArray<string>
}

/**
 * Check proven events against the chain, trusting nothing the API said: each
 * event's hash is recomputed from its content, its leaf from (position,
 * hash), the proof folded to a root that must equal the root EventAnchor
 * holds at the named index (`anchorRoot`, read from the chain), and the
 * signed command in its metadata must recover to the recorded actor.
 */
export const checkProvenEvents = (proven: ReadonlyArray<ProvenEvent>, anchorRoot: (index: number) => Hex | undefined): ReadonlyArray<EventCheck> =>
  proven.map((p) => {
    const problems: Array<string> = []
    const e = p.event
    const { hash: _stored, ...rest } = e
    const hash = computeEventHash(rest)
    if (hash !== e.hash || hash !== p.eventHash) problems.push(`content hashes to ${hash}, not ${e.hash}`)
    const leaf = leafOf(e.globalPosition, hash as Hex)
    const root = processProof(p.proof, leaf)
    const onChain = anchorRoot(p.anchor.index)
    if (!onChain) problems.push(`no anchor #${p.anchor.index} on chain`)
    else if (root !== onChain) problems.push(`proof folds to ${root}, the chain holds ${onChain}`)
    const recovers = signatureRecovers(e.metadata as SignedCommandRecord)
    if (recovers === false) problems.push(`the signature does not recover to ${e.metadata.actor}`)
    return { position: `${e.globalPosition}.${e.indexInCommit}`, type: e.type, ...(recovers ? { signer: e.metadata.actor } : {}), problems }
  })
