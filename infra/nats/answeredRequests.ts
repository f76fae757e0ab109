import { RequestOne } from "@nats-io/nats-core/internal"

/**
 * nats.js 3.4 (`RequestOne.resolver`) cancels every request once it is
 * answered, and `cancel()` rejects the request's promise with a new
 * `RequestError("cancelled")` even though the answer already settled it:
 * the rejection is a no-op, but the Error (and its captured stack) is built
 * on every request, whatever `noAsyncTraces` says. In a profile of pipelined
 * appends that was 5 % of the CPU plus its garbage. Here an answered
 * request's cleanup skips that Error; a request cancelled before any answer
 * (closed connection, an explicit cancel) still rejects as before.
 *
 * Installed once per process by importing this module (NatsClient does).
 * The check below keeps it honest if a nats.js upgrade changes the shape:
 * then nothing is patched and nats.js behaves as shipped.
 */
type Patchable = {
  resolver: (this: PatchedRequest, err: unknown, msg: unknown) => void
  cancel: (this: PatchedRequest, err?: Error) => void
}
type PatchedRequest = { answered?: boolean; timer?: { cancel(): void }; mux: { cancel(r: unknown): void } }

const proto = RequestOne.prototype as unknown as Patchable & { answeredPatch?: true }
if (!proto.answeredPatch && typeof proto.resolver === "function" && typeof proto.cancel === "function" && proto.cancel.length === 1) {
  const resolver = proto.resolver
  const cancel = proto.cancel
  proto.resolver = function (err, msg) {
    // Set before the original settles the promise and calls cancel().
    this.answered = true
    resolver.call(this, err, msg)
  }
  proto.cancel = function (err) {
    if (err !== undefined || !this.answered) return cancel.call(this, err)
    this.timer?.cancel()
    this.mux.cancel(this)
  }
  proto.answeredPatch = true
}

/** Whether the patch is in place (a spec checks it, so an upgrade that drops it is noticed). */
export const answeredRequestsPatched = (): boolean => proto.answeredPatch === true
