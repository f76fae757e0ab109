import { Effect } from "effect"
import { RecordAnchor, RecordAnchorPayload } from "../../domain/anchor/commands"
import { anchor } from "../../domain/anchor/decide"
import { anchorStream } from "../../domain/anchor/events"
import { commandSpec } from "../commandSpec"
import { handleCommand } from "../handleCommand"

export const anchorCommands = [
  commandSpec({
    type: "RecordAnchor",
    aggregate: "anchor",
    summary: "The chain bridge records an anchor it sent (checked against the EventAnchor contract: root, range, transaction, block).",
    payload: RecordAnchorPayload,
    handle: (p, ctx) =>
      Effect.gen(function* () {
        const onChain = yield* ctx.anchorAt(p.chainId, p.contract, p.index)
        return yield* handleCommand(
          anchor,
          anchorStream(p.chainId),
          new RecordAnchor({ ...p, ...(onChain ? { onChain } : {}), actorIsBridge: ctx.actorIsBridge, actor: ctx.actor, at: ctx.at }),
          ctx.metadata
        )
      })
  })
]
