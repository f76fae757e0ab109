import type { RecordedEvent } from "../domain/recordedEvent"
import { alreadyApplied, plus, positionOf, type Projection } from "./projection"
import { appendPaged, emptyPagedList, itemsPaged, type PagedList } from "../domain/pagedList"
import type { NodeDoc } from "./documents"
export type { NodeDoc } from "./documents"

/** A node as the read model keeps it: the tasks it joined in pages (domain/pagedList.ts); served as one list (`servedNode`). */
export type StoredNode = Omit<NodeDoc, "tasks"> & { readonly tasks: PagedList<string> }

/** A node as the API serves it (`NodeDoc`): the tasks it joined as one list, in the order joined. */
export const servedNode = (n: StoredNode): NodeDoc => ({ ...n, tasks: itemsPaged(n.tasks) })

/** Votes per result, kept until the verdict lands (internal: reputation reads it). */
export interface ResultVotesDoc {
  readonly position: string
  readonly nodeId: string
  readonly votes: ReadonlyArray<{ readonly nodeId: string; readonly verdict: "accept" | "reject" }>
}

export const resultVotesProjection: Projection<ResultVotesDoc> = {
  name: "resultVotes",
  canHandle: ["ResultSubmitted", "VerificationVoted"],
  evolve: (read, e: RecordedEvent) => {
    const d = e.data
    if (d._tag === "ResultSubmitted") {
      return alreadyApplied(read("resultVotes", d.resultId), e) ? [] : [[d.resultId, { position: positionOf(e), nodeId: d.nodeId, votes: [] }]]
    }
    if (d._tag === "VerificationVoted") {
      const doc = read<ResultVotesDoc>("resultVotes", d.resultId)
      if (!doc || alreadyApplied(doc, e)) return []
      return [[d.resultId, { ...doc, position: positionOf(e), votes: [...doc.votes, { nodeId: d.nodeId, verdict: d.verdict }] }]]
    }
    return []
  }
}

const score = (d: Pick<NodeDoc, "results" | "votes">) =>
  d.results.verified * 2 - d.results.rejected * 3 + d.votes.agreeing - d.votes.disagreeing * 2 - d.votes.disputed * 3 - d.votes.unrevealed * 2

/** Nodes with their reputation: results accepted/rejected, votes agreeing/disagreeing with consensus. */
export const nodesProjection: Projection<StoredNode> = {
  name: "nodes",
  canHandle: [
    "NodeRegistered",
    "NodeJoinedTask",
    "ResultSubmitted",
    "ResultVerified",
    "ResultRejected",
    "VerificationVoted",
    "RoundClosed",
    "RewardAllocated",
    "StakeBonded",
    "StakeWithdrawn",
    "StakeSlashed",
    "ModelVersionScored",
    "ScoringFailed",
    "ScoringFeePaid"
  ],
  evolve: (read, e: RecordedEvent) => {
    const d = e.data
    const position = positionOf(e)
    const update = (nodeId: string, f: (n: StoredNode) => Omit<StoredNode, "reputation" | "position">): ReadonlyArray<readonly [string, StoredNode]> => {
      const n = read<StoredNode>("nodes", nodeId)
      if (!n || alreadyApplied(n, e)) return []
      const next = f(n)
      return [[nodeId, { ...next, position, reputation: score(next) }]]
    }
    switch (d._tag) {
      case "NodeRegistered":
        if (alreadyApplied(read("nodes", d.nodeId), e)) return []
        return [
          [
            d.nodeId,
            {
              position,
              nodeId: d.nodeId,
              address: d.address,
              roles: d.roles,
              capabilities: d.capabilities,
              registeredAt: d.registeredAt,
              tasks: emptyPagedList,
              results: { submitted: 0, verified: 0, rejected: 0 },
              votes: { cast: 0, agreeing: 0, disagreeing: 0, disputed: 0, unrevealed: 0 },
              earned: "0",
              stake: { bonded: "0", withdrawn: "0", slashed: "0" },
              reputation: 0
            }
          ]
        ]
      case "NodeJoinedTask":
        return update(d.nodeId, (n) => ({ ...n, tasks: appendPaged(n.tasks, d.taskId) }))
      case "ResultSubmitted":
        return update(d.nodeId, (n) => ({ ...n, results: { ...n.results, submitted: n.results.submitted + 1 } }))
      case "VerificationVoted":
        return update(d.nodeId, (n) => ({ ...n, votes: { ...n.votes, cast: n.votes.cast + 1 } }))
      case "ResultVerified":
      case "ResultRejected": {
        const verified = d._tag === "ResultVerified"
        const trainer = update(d.nodeId, (n) => ({
          ...n,
          results: verified ? { ...n.results, verified: n.results.verified + 1 } : { ...n.results, rejected: n.results.rejected + 1 }
        }))
        const votes = read<ResultVotesDoc>("resultVotes", d.resultId)?.votes ?? []
        const voters = votes.flatMap((v) =>
          update(v.nodeId, (n) => {
            const agrees = (v.verdict === "accept") === verified
            return { ...n, votes: { ...n.votes, agreeing: n.votes.agreeing + (agrees ? 1 : 0), disagreeing: n.votes.disagreeing + (agrees ? 0 : 1) } }
          })
        )
        return [...trainer, ...voters]
      }
      case "RoundClosed": {
        // One update per node, however many of its votes the round names.
        const marks = new Map<string, { disputed: number; unrevealed: number }>()
        for (const v of d.disputedVotes ?? []) marks.set(v.nodeId, { disputed: (marks.get(v.nodeId)?.disputed ?? 0) + 1, unrevealed: marks.get(v.nodeId)?.unrevealed ?? 0 })
        for (const v of d.unrevealed ?? []) marks.set(v.nodeId, { disputed: marks.get(v.nodeId)?.disputed ?? 0, unrevealed: (marks.get(v.nodeId)?.unrevealed ?? 0) + 1 })
        return [...marks.entries()].flatMap(([nodeId, m]) =>
          update(nodeId, (n) => ({ ...n, votes: { ...n.votes, disputed: n.votes.disputed + m.disputed, unrevealed: n.votes.unrevealed + m.unrevealed } }))
        )
      }
      case "StakeBonded":
        return update(d.nodeId, (n) => ({ ...n, stake: { ...n.stake, bonded: plus(n.stake.bonded, d.amount) } }))
      case "StakeWithdrawn":
        return update(d.nodeId, (n) => ({ ...n, stake: { ...n.stake, withdrawn: plus(n.stake.withdrawn, d.amount) } }))
      case "StakeSlashed":
        return update(d.nodeId, (n) => ({ ...n, stake: { ...n.stake, slashed: plus(n.stake.slashed, d.amount) } }))
      case "RewardAllocated":
        return d.nodeId ? update(d.nodeId, (n) => ({ ...n, earned: (BigInt(n.earned) + d.amount).toString() })) : []
      // Scoring judges: a reveal with the consensus agrees, one outside it disagrees, a drawn judge that never revealed is unrevealed.
      case "ModelVersionScored":
      case "ScoringFailed": {
        const agreeing = d._tag === "ModelVersionScored" ? d.agreeing : []
        // Without a consensus nobody is proven wrong; silence counts either way.
        const disagreeing = d._tag === "ModelVersionScored" ? d.disagreeing : []
        return [
          ...agreeing.flatMap((j) => update(j, (n) => ({ ...n, votes: { ...n.votes, cast: n.votes.cast + 1, agreeing: n.votes.agreeing + 1 } }))),
          ...disagreeing.flatMap((j) => update(j, (n) => ({ ...n, votes: { ...n.votes, cast: n.votes.cast + 1, disagreeing: n.votes.disagreeing + 1 } }))),
          ...d.silent.flatMap((j) => update(j, (n) => ({ ...n, votes: { ...n.votes, unrevealed: n.votes.unrevealed + 1 } })))
        ]
      }
      case "ScoringFeePaid":
        return update(d.nodeId, (n) => ({ ...n, earned: plus(n.earned, d.amount) }))
      default:
        return []
    }
  }
}
