import { describe, expect, it } from "vitest"
import { fold } from "../../../domain/decider"
import type { NodeId, ResultId } from "../../../domain/primitives"
import { task } from "../../../domain/task"
import { ReplaceValidator } from "../../../domain/task/commands"
import type { TaskEvent } from "../../../domain/task/events"
import type { TaskData } from "../../../domain/task/state"
import { applying, deciderSpec } from "../../support/deciderSpec"
import { allJoined, at, commitVote, coordinator, drawValidators, joined, owner, rA, roundStarted, stranger, submitResult, taskCreated, taskId, vote } from "../../support/fixtures"

/** ReplaceValidator: a silent validator is taken off a result it has not committed a vote on; the draw picks who replaces it. */
const spec = deciderSpec(task)

const decide = applying(task)
type Judge = "validator1" | "validator2" | "validator3" | "validator4"
// Four validators joined, three judge each result: one is spare.
const submitted = () => decide(decide([...taskCreated(), ...allJoined(), joined("validator4", "validator"), roundStarted()], submitResult("trainerA")), drawValidators(rA))
const judges = (history: ReadonlyArray<TaskEvent>) => (fold(task, history) as TaskData).round!.results.get(rA)!.validators as ReadonlyArray<Judge>
const spare = (history: ReadonlyArray<TaskEvent>) => (["validator1", "validator2", "validator3", "validator4"] as const).find((v) => !judges(history).includes(v))!
/** Judges commit first, then reveal (reveals open at the commit deadline at the latest). */
const judged = (h: ReadonlyArray<TaskEvent>, ...names: Array<Judge>) =>
  names.reduce((acc, n) => decide(acc, vote(n, rA, "accept")), names.reduce((acc, n) => decide(acc, commitVote(n, rA, "accept")), h))

const replace = (nodeId: string, overrides: Partial<ConstructorParameters<typeof ReplaceValidator>[0]> = {}) =>
  new ReplaceValidator({ taskId, round: 1, resultId: rA, nodeId: nodeId as NodeId, actor: coordinator, at: at(130), actorIsCoordinator: true, ...overrides })

describe("Task: ReplaceValidator", () => {
  it("the draw puts the spare validator in the silent one's place", () => {
    const history = submitted()
    const [silent] = judges(history)
    spec.given(history).when(replace(silent!)).then([
      { _tag: "ValidatorReplaced", taskId, round: 1, resultId: rA, replaced: silent! as NodeId, replacement: spare(history) as NodeId, replacedAt: at(130) }
    ])
  })
  it("after it, the replacement may vote and the replaced one may not", () => {
    const history = submitted()
    const [silent] = judges(history)
    const after = decide(history, replace(silent!))
    expect(judges(after)).toContain(spare(history))
    expect(judges(after)).not.toContain(silent)
    spec.given(after).when(commitVote(silent!, rA, "accept")).thenFails("NotAssignedValidator")
    spec.given(after).when(commitVote(spare(history), rA, "accept")).thenEvents((e) => expect(e[0]!._tag).toBe("VoteCommitted"))
  })
  it("the owner may too; nobody else", () => {
    const history = submitted()
    const [silent] = judges(history)
    spec.given(history).when(replace(silent!, { actor: owner, actorIsCoordinator: false })).thenEvents((e) => expect(e).toHaveLength(1))
    spec.given(history).when(replace(silent!, { actor: stranger, actorIsCoordinator: false })).thenFails("NotTaskOwner")
  })
  it("not a validator that committed or voted", () => {
    const history = submitted()
    const [first] = judges(history)
    spec.given(decide(history, commitVote(first!, rA, "accept"))).when(replace(first!)).thenFails("ValidatorNotReplaceable")
    spec.given(judged(history, first!)).when(replace(first!)).thenFails("ValidatorNotReplaceable")
  })
  it("not on a decided result", () => {
    const history = submitted()
    const [a, b, c] = judges(history)
    const verified = judged(history, a!, b!)
    spec.given(verified).when(replace(c!)).thenFails("ValidatorNotReplaceable", { reason: "the result is already verified" })
  })
  it("not by a node that does not judge it", () => spec.given(submitted()).when(replace(spare(submitted()))).thenFails("ValidatorNotReplaceable"))
  it("when the draw has nobody left (the trainer's node never counts), it refuses", () => {
    const history = submitted()
    const [a, b] = judges(history)
    const once = decide(history, replace(a!))
    spec.given(once).when(replace(b!)).thenFails("NotEnoughParticipants")
  })
  it("only on the running round's results", () =>
    spec.given(submitted()).when(replace(judges(submitted())[0]!, { resultId: "rX" as ResultId })).thenFails("ResultNotFound"))
})
