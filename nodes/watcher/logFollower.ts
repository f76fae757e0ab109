import type { NeuraClient } from "../../commands/client"
import { describeFailure } from "../infra/describeFailure"

/**
 * Follow the log through the API's public read side (`GET /events`, paged by
 * cursor): what any outsider can do, with no NATS permission on the log. A
 * watcher needs nothing more: the proofs are in the events, the states in the
 * weights store every node may read.
 */
export interface LoggedEvent {
  readonly stream: string
  readonly data: { readonly _tag: string } & Record<string, unknown>
}

export const followLogThroughApi = (
  client: NeuraClient,
  onEvent: (e: LoggedEvent) => void,
  options: { readonly pollMs?: number; readonly log?: (line: string) => void; /** A position or cursor to start from (default the beginning). */ readonly from?: string } = {}
) => {
  let stopped = false
  let cursor = options.from ?? "1"
  let wake: (() => void) | undefined
  const done = (async () => {
    while (!stopped) {
      try {
        for (;;) {
          const page = (await client.get(`/events?from=${cursor}&limit=1000`)) as { events: Array<LoggedEvent>; next: string }
          for (const e of page.events) onEvent(e)
          cursor = page.next
          if (page.events.length < 1000) break
        }
      } catch (e) {
        // The API is down or restarting: try again on the next tick.
        options.log?.(`following the log failed, will retry: ${describeFailure(e)}`)
      }
      await new Promise<void>((resolve) => {
        wake = resolve
        setTimeout(resolve, options.pollMs ?? 1_000)
      })
    }
  })()
  return {
    async stop() {
      stopped = true
      wake?.()
      await done
    }
  }
}
