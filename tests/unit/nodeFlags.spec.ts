import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { LOG_WRITER_NODE_FLAGS } from "../../infra/nodeFlags"

// The flags must be given on node's command line, so three launchers spell
// them out; they must not drift apart (what the bench measures is what runs).
describe("the log writer's node flags", () => {
  it("are the ones the dev stack and the bench start with", () => {
    const devScript = readFileSync("scripts/dev.sh", "utf8")
    const bench = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts.bench!
    expect(LOG_WRITER_NODE_FLAGS.length).toBeGreaterThan(0)
    for (const flag of LOG_WRITER_NODE_FLAGS) {
      expect(devScript).toMatch(new RegExp(`exec node .*${flag}.* scripts/dev\\.ts`))
      expect(bench).toContain(`node ${flag} `)
    }
  })
})
