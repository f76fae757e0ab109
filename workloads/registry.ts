import type { Workload } from "./workload"
import { digits } from "./digits"
import { fashionCnn } from "./fashion-cnn"
import { spamBow } from "./spam-bow"
import { emojiClip } from "./emoji-clip"
import { spamTransformer } from "./spam-transformer"
import { mobyChars } from "./moby-chars"
import { spokenDigits } from "./spoken-digits"
import { warehouseAgent } from "./warehouse-agent"

/**
 * Every workload the network runs, by id: the one place a new workload is
 * registered (its code lives in its own folder). README "Workloads" says how.
 */
export const workloads: ReadonlyMap<string, Workload> = new Map([digits, spamTransformer, mobyChars, fashionCnn, spamBow, emojiClip, spokenDigits, warehouseAgent].map((w) => [w.id, w]))

export const workloadOf = (id: string | undefined): Workload | undefined => workloads.get(id ?? "digits")

/** The workload a task or work item names, or a clear error (a node cannot train what it does not know). */
export const requireWorkload = (id: string | undefined): Workload => {
  const w = workloadOf(id)
  if (!w) throw new Error(`unknown workload ${id}: this node knows ${[...workloads.keys()].join(", ")}`)
  return w
}
