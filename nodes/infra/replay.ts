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
import { onEventLoop, type LoadedTf } from "../../infra/ml/tf"
import type { ExternalExecutor } from "../../infra/ml/externalExecutor"
import { onThread } from "../threads/pool"

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
const replayerOf = (run: RunToReplay, executor: ExternalExecutor | undefined): ExternalExecutor | "missing" | "tf" =>
  executor && run.proof.backend === executor.backend ? executor : run.proof.backend.startsWith("pytorch") ? "missing" : "tf"

const segmentTrainerFor = async (tf: LoadedTf, executor: ExternalExecutor | undefined, workload: Workload, model: LayersModel, samples: Samples, run: RunToReplay, plan: TrainPlan, start: Checkpoint): Promise<SegmentTrainer> => {
  const replayer = replayerOf(run, executor)
  if (typeof replayer === "object") return externalStepTrainer(replayer, model, samples.count, (rows) => gatherRows(samples, rows), plan, start)
  if (replayer === "missing") throw new ExecutorMissing(`this node cannot replay ${run.proof.backend}: start it with that executor (NEURA_EXECUTOR=pytorch)`)
  const step = stepFunctionsOf(tf.tf, workload, model, samples, run.topology)
  return stepTrainer(tf.tf, model, samples.count, plan, step.batchOf, step.estimateOf)
}

/** The bytes of a committed state, or undefined when they are not in the store (the committer's failure to open it). */
const openState = async (start: CheckpointState, deps: ReplayDeps): Promise<Checkpoint | undefined> => {
  try {
    return { weights: await deps.weights.get(start.weights), optimizer: await deps.weights.get(start.optimizer) }
  } catch (e) {
    if (!weightsMissing(e)) throw e
    return undefined
  }
}

const samplesOf = (run: RunToReplay, deps: ReplayDeps) =>
  deps.data.samples(requireWorkload(run.workload), run.topology, shardRefsOf(run.proof).map((s) => s.contentHash))

/**
 * Restore `start` into a trainer of the run's plan and hand it to `use`;
 * undefined when the state does not fit the model (wrong size): the
 * committer's failure too.
 */
const withRestored = async <T>(tf: LoadedTf, executor: ExternalExecutor | undefined, run: RunToReplay, start: Checkpoint, samples: Samples, use: (trainer: SegmentTrainer) => Promise<T>): Promise<T | undefined> => {
  const workload = requireWorkload(run.workload)
  const model = await workload.build(tf.tf, run.topology)
  const plan = { ...run.plan, epochs: run.proof.epochs, seed: run.proof.seed }
  let trainer: SegmentTrainer | undefined
  try {
    trainer = await segmentTrainerFor(tf, executor, workload, model, samples, run, plan, start)
    await trainer.restore(start)
    return await use(trainer)
  } catch (e) {
    if (e instanceof Error && /values, (this )?model/.test(e.message)) return undefined
    throw e
  } finally {
    await trainer?.dispose()
    model.dispose()
  }
}

/**
 * Restore `start` (weights and optimizer, by hash) into a trainer of the
 * run's plan and hand it to `use`. Undefined when the state cannot be opened:
 * its bytes are not in the store, or they do not fit the model. Either is the
 * failure of whoever committed to that state; an unreachable store is
 * nobody's verdict (thrown, so the work is retried).
 */
export const fromState = async <T>(run: RunToReplay, start: CheckpointState, deps: ReplayDeps, use: (trainer: SegmentTrainer) => Promise<T>): Promise<T | undefined> => {
  const opened = await openState(start, deps)
  if (!opened) return undefined
  return withRestored(await onEventLoop(deps.tf), deps.executor, run, opened, await samplesOf(run, deps), use)
}

/** Run steps [from, to) and hand each state after a step to `each` (its number, the state). */
export const eachState = (trainer: SegmentTrainer, from: number, to: number, each: (step: number, state: Checkpoint) => void | Promise<void>, working?: () => void) =>
  trainer.run(from, to, async (done) => {
    working?.()
    await each(done, await trainer.checkpoint())
  })

/** A replay of steps with its start state and samples fetched: what runs on an ML thread. */
export interface ReplayJob {
  readonly run: RunToReplay
  readonly start: Checkpoint
  readonly from: number
  readonly to: number
  readonly samples: Samples
}

/** The leaf after every step of the job's [from, to), or undefined when its start does not fit the model (TF.js). */
export const replayLeavesOf = (tf: LoadedTf, job: ReplayJob, working?: () => void, executor?: ExternalExecutor): Promise<Array<Hash32> | undefined> =>
  withRestored(tf, executor, job.run, job.start, job.samples, async (trainer) => {
    const leaves: Array<Hash32> = []
    await eachState(trainer, job.from, job.to, (_, state) => void leaves.push(checkpointHashes(state).leaf), working)
    return leaves
  })

/**
 * The leaf after every step of [from, to) replayed from `start`, or undefined
 * when `start` cannot be opened: on an ML thread when the node has them and
 * TF.js replays the run.
 */
export const replayLeaves = async (run: RunToReplay, start: CheckpointState, from: number, to: number, deps: ReplayDeps): Promise<Array<Hash32> | undefined> => {
  const opened = await openState(start, deps)
  if (!opened) return undefined
  const job: ReplayJob = { run, start: opened, from, to, samples: await samplesOf(run, deps) }
  // Only TF.js replays go to a thread: an executor runs in its own process, and ExecutorMissing must keep its class.
  if (deps.threads && replayerOf(run, deps.executor) === "tf") return onThread(deps.threads, { kind: "replay", replay: job }, deps.tf.backend, deps.working ? { working: deps.working } : {})
  return replayLeavesOf(await onEventLoop(deps.tf), job, deps.working, deps.executor)
}
