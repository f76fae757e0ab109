import type { LayersModel } from "@tensorflow/tfjs"
import type { Hash32 } from "../../domain/primitives"
import type { CheckpointState } from "../../domain/task/events"
import { checkpointHashes, stepTrainer, type Checkpoint, type SegmentTrainer } from "../../infra/ml/checkpoints"
import { externalStepTrainer } from "../../infra/ml/externalTrainer"
import type { TrainPlan } from "../../infra/ml/model"
import { weightsMissing } from "../../infra/weights/WeightsStore"
import { gatherRows, type Samples } from "../../workloads/kit/samples"
import { requireWorkload } from "../../workloads/registry"
import { stepFunctionsOf, type Workload } from "../../workloads/workload"
import { shardRefsOf, type RunToReplay } from "../workItems"
import type { MlNodeDeps } from "./mlDeps"

/**
 * Replaying steps of someone's committed run from one of its states: what a
 * judge does to a segment, a trainer to open its segment in a dispute, and a
 * referee to one step. Every replay starts from a state named by content
 * hash, on the backend the proof names, so it is bit-exact with the run.
 */

export type ReplayDeps = Omit<MlNodeDeps<string>, "behaviour">

/** A judge cannot replay a result trained by an executor it does not run: not a verdict, the work is retried or reassigned. */
export class ExecutorMissing extends Error {}

/**
 * What replays a result's steps: the external executor whose backend its
 * proof names (a PyTorch trainer's result is replayed by PyTorch, bit for bit
 * on the same build), otherwise TF.js.
 */
const segmentTrainerFor = async (deps: ReplayDeps, workload: Workload, model: LayersModel, samples: Samples, run: RunToReplay, plan: TrainPlan, start: Checkpoint): Promise<SegmentTrainer> => {
  const { tf } = deps.tf
  const backend = run.proof.backend
  if (deps.executor && backend === deps.executor.backend) return externalStepTrainer(deps.executor, model, samples.count, (rows) => gatherRows(samples, rows), plan, start)
  if (backend.startsWith("pytorch")) throw new ExecutorMissing(`this node cannot replay ${backend}: start it with that executor (NEURA_EXECUTOR=pytorch)`)
  const step = stepFunctionsOf(tf, workload, model, samples, run.topology)
  return stepTrainer(tf, model, samples.count, plan, step.batchOf, step.estimateOf)
}

/**
 * Restore `start` (weights and optimizer, by hash) into a trainer of the
 * run's plan and hand it to `use`. Undefined when the state cannot be opened:
 * its bytes are not in the store, or they do not fit the model. Either is the
 * failure of whoever committed to that state; an unreachable store is
 * nobody's verdict (thrown, so the work is retried).
 */
export const fromState = async <T>(run: RunToReplay, start: CheckpointState, deps: ReplayDeps, use: (trainer: SegmentTrainer) => Promise<T>): Promise<T | undefined> => {
  const { tf } = deps.tf
  const workload = requireWorkload(run.workload)
  let weights: Uint8Array, optimizer: Uint8Array
  try {
    weights = await deps.weights.get(start.weights)
    optimizer = await deps.weights.get(start.optimizer)
  } catch (e) {
    if (!weightsMissing(e)) throw e
    return undefined
  }
  const samples = await deps.data.samples(workload, run.topology, shardRefsOf(run.proof).map((s) => s.contentHash))
  const model = await workload.build(tf, run.topology)
  const plan = { ...run.plan, epochs: run.proof.epochs, seed: run.proof.seed }
  const trainer = await segmentTrainerFor(deps, workload, model, samples, run, plan, { weights, optimizer })
  try {
    await trainer.restore({ weights, optimizer })
    return await use(trainer)
  } catch (e) {
    // A state that does not fit the model (wrong size) cannot be resumed: the committer's failure too.
    if (e instanceof Error && /values, (this )?model/.test(e.message)) return undefined
    throw e
  } finally {
    await trainer.dispose()
    model.dispose()
  }
}

/** Run steps [from, to) and hand each state after a step to `each` (its number, the state). */
export const eachState = (trainer: SegmentTrainer, from: number, to: number, each: (step: number, state: Checkpoint) => void | Promise<void>, working?: () => void) =>
  trainer.run(from, to, async (done) => {
    working?.()
    await each(done, await trainer.checkpoint())
  })

/** The leaf after every step of [from, to) replayed from `start`, or undefined when `start` cannot be opened. */
export const replayLeaves = (run: RunToReplay, start: CheckpointState, from: number, to: number, deps: ReplayDeps): Promise<Array<Hash32> | undefined> =>
  fromState(run, start, deps, async (trainer) => {
    const leaves: Array<Hash32> = []
    await eachState(trainer, from, to, (_, state) => void leaves.push(checkpointHashes(state).leaf), deps.working)
    return leaves
  })
