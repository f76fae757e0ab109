/**
 * A failure as a log line can say it. Tagged errors (Effect's
 * Schema.TaggedError: WeightsUnavailable, EventStoreUnavailable, …) carry
 * their facts as fields and an empty `message`: logging only the message
 * printed "work failed (will retry): " with nothing after it, twice in a CI
 * run, and hid which store or which hash had failed.
 */
export const describeFailure = (e: unknown): string => {
  if (typeof e === "object" && e !== null && "_tag" in e) {
    const { _tag, message, stack: _stack, ...fields } = e as { _tag: unknown; message?: unknown; stack?: unknown }
    const facts = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
      .join(", ")
    return [String(_tag), typeof message === "string" && message !== "" ? message : undefined, facts || undefined].filter((x) => x !== undefined).join(": ")
  }
  if (e instanceof Error) return e.message === "" ? `${e.name} (no message)${e.stack ? ` at ${e.stack.split("\n")[1]?.trim() ?? ""}` : ""}` : e.message
  return String(e)
}
