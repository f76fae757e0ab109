import { describe, expect, it } from "vitest"
import { protocolSetting } from "../../../commands/settings"
import { defaultProtocol } from "../../../domain/protocol"

/** PROTOCOL: protocol parameters from the environment, validated like any boundary. */
describe("PROTOCOL setting", () => {
  const setting = protocolSetting()
  it("overrides the fields it names and keeps the rest", () => {
    expect(setting.parse('{"challengeSeconds":5,"minStake":{"trainer":"2000","validator":"1500"}}')).toEqual({
      ...defaultProtocol,
      challengeSeconds: 5,
      minStake: { trainer: 2000n, validator: 1500n }
    })
  })
  it("refuses what is not a JSON object or not valid parameters", () => {
    expect(setting.parse("nope")).toEqual({ invalid: "must be a JSON object" })
    expect(setting.parse("[1]")).toEqual({ invalid: "must be a JSON object" })
    expect(setting.parse('{"checkpoints":0}')).toMatchObject({ invalid: expect.stringMatching(/not valid protocol parameters/) })
    expect(setting.parse('{"minStake":{"trainer":"-1","validator":"1"}}')).toMatchObject({ invalid: expect.stringMatching(/not valid/) })
  })
})
