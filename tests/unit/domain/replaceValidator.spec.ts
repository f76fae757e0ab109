import { describe, expect, it } from "vitest"
import { fold } from "../../../domain/decider"
import type { NodeId, ResultId } from "../../../domain/primitives"
import { task } from "../../../domain/task"
import { ReplaceValidator } from "../../../domain/task/commands"
import type { TaskEvent } from "../../../domain/task/events"
import type { TaskData } from "../../../domain/task/state"
import { deciderSpec } from "../../support/deciderSpec"
import { allJoined, at, coordinator, joined, owner, roundStarted, stranger, submitResult, taskCreated, taskId, vote } from "../../support/fixtures"

/** ReplaceValidator: a silent validator is taken off a result it has not judged. */
const spec = deciderSpec(task)

const decide = (history: ReadonlyArray<TaskEvent>, command: Parameters<typeof task.decide>[0]) => {
  const r = task.decide(command, fold(task, history))
  if (r._tag === "Failure") throw new Error(JSON.stringify(r.failure))
  return [...history, ...r.success]
}
// Four validators joined, three judge each result: one is spare.
const submitted = () => decide([...taskCreated(), ...allJoined(), joined("validator4", "validator"), roundStarted()], submitResult("trainerA", "rA"))
const judges = (history: ReadonlyArray<TaskEvent>) => (fold(task, history) as TaskData).round!.results.get("rA" as ResultId)!.validators
const spare = (history: ReadonlyArray<TaskEvent>) => ["validator1", "validator2", "validator3", "validator4"].find((v) => !judges(history).includes(v as NodeId))!

const replace = (nodeId: string, replacement: string, overrides: Partial<ConstructorParameters<typeof ReplaceValidator>[0]> = {}) =>
  new ReplaceValidator({
    taskId,
    round: 1,
    resultId: "rA" as ResultId,
    nodeId: nodeId as NodeId,
    replacement: replacement as NodeId,
    actor: coordinator,
    at: at(30),
    actorIsCoordinator: true,
    ...overrides
  })

describe("Task: ReplaceValidator", () => {
  it("puts the spare validator in the silent one's place", () => {
    const history = submitted()
    const [silent] = judges(history)
    spec.given(history).when(replace(silent!, spare(history))).then([
      { _tag: "ValidatorReplaced", taskId, round: 1, resultId: "rA" as ResultId, replaced: silent!, replacement: spare(history) as NodeId, replacedAt: at(30) }
    ])
  })
  it("after it, the replacement may vote and the replaced one may not", () => {
    const history = submitted()
    const [silent] = judges(history)
    const after = decide(history, replace(silent!, spare(history)))
    expect(judges(after)).toContain(spare(history))
    expect(judges(after)).not.toContain(silent)
    spec.given(after).when(vote(silent as never, "rA", "accept")).thenFails("NotAssignedValidator")
    spec.given(after).when(vote(spare(history) as never, "rA", "accept")).thenEvents((e) => expect(e[0]!._tag).toBe("VerificationVoted"))
  })
  it("the owner may too; nobody else", () => {
    const history = submitted()
    const [silent] = judges(history)
    spec.given(history).when(replace(silent!, spare(history), { actor: owner, actorIsCoordinator: false })).thenEvents((e) => expect(e).toHaveLength(1))
    spec.given(history).when(replace(silent!, spare(history), { actor: stranger, actorIsCoordinator: false })).thenFails("NotTaskOwner")
  })
  it("not a validator that already voted", () => {
    const history = submitted()
    const [first] = judges(history)
    spec.given(decide(history, vote(first as never, "rA", "accept"))).when(replace(first!, spare(history))).thenFails("ValidatorNotReplaceable")
  })
  it("not on a decided result", () => {
    const history = submitted()
    const [a, b, c] = judges(history)
    const verified = decide(decide(history, vote(a as never, "rA", "accept")), vote(b as never, "rA", "accept"))
    spec.given(verified).when(replace(c!, spare(history))).thenFails("ValidatorNotReplaceable", { reason: "the result is already verified" })
  })
  it("not by a node that does not judge it", () =>
    spec.given(submitted()).when(replace(spare(submitted()), judges(submitted())[0]!)).thenFails("ValidatorNotReplaceable"))
  it("not with a validator already on it, with the trainer, or with a non-validator", () => {
    const history = submitted()
    const [a, b] = judges(history)
    spec.given(history).when(replace(a!, b!)).thenFails("ValidatorNotReplaceable")
    spec.given(history).when(replace(a!, "trainerA")).thenFails("NotEnoughParticipants")
    spec.given(history).when(replace(a!, "nobody")).thenFails("NotEnoughParticipants")
  })
  it("never puts back a validator that was taken off", () => {
    const history = submitted()
    const [a] = judges(history)
    const after = decide(history, replace(a!, spare(history)))
    spec.given(after).when(replace(spare(history), a!)).thenFails("ValidatorNotReplaceable")
  })
  it("only on the running round's results", () =>
    spec.given(submitted()).when(replace(judges(submitted())[0]!, spare(submitted()), { resultId: "rX" as ResultId })).thenFails("ResultNotFound"))
})
