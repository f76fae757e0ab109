import type { AnchorRecord } from "../chain-bridge/bridge"
import { keccak256Hex } from "../infra/keccak"
import { ApiError, type NeuraClient } from "./client"

/**
 * The chain bridge's way into the log: a signed `RecordAnchor` per anchor.
 * The command id is derived from the anchor, so a resent anchor is an
 * idempotent no-op; one the log already has under another id is fine too.
 */
export const apiAnchorRecorder =
  (client: NeuraClient) =>
  async (a: AnchorRecord): Promise<void> => {
    const commandId = `anchor-${a.chainId}-${a.index}-${keccak256Hex(`${a.contract.toLowerCase()}:${a.root}`).slice(2, 34)}`
    try {
      await client.command("RecordAnchor", a, { commandId })
    } catch (e) {
      if (e instanceof ApiError && e.problem.code === "AnchorAlreadyRecorded") return
      throw e
    }
  }
