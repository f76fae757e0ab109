import { describe, expect, it } from "vitest"
import { WeightsUnavailable } from "../../infra/weights/WeightsStore"
import { describeFailure } from "../../nodes/infra/describeFailure"

describe("describeFailure: what a node logs when work fails", () => {
  it("names a tagged error and its facts (its message is empty), keeps a plain message, and never logs nothing", () => {
    const tagged = new WeightsUnavailable({ hash: "0xabc", reason: "timeout" })
    expect(tagged.message).toBe("")
    expect(describeFailure(tagged)).toBe("WeightsUnavailable: hash=0xabc, reason=timeout")
    expect(describeFailure(new Error("409 AlreadyVoted"))).toBe("409 AlreadyVoted")
    expect(describeFailure(new Error(""))).toMatch(/^Error \(no message\)/)
    expect(describeFailure("plain")).toBe("plain")
  })
})
