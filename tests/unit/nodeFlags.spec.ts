import { readFileSync } from "node:fs"
import { describe, expect, it } from "vitest"
import { LOG_WRITER_NODE_FLAGS } from "../../infra/nodeFlags"

// The flags must be given on node's command line, so the launchers spell
// them out; they must not drift apart (what the bench measures is what runs).
describe("the log writer's node flags", () => {
  it("are the ones the dev stack (scripts/dev.sh, npm start) and the bench start with", () => {
    const devScript = readFileSync("scripts/dev.sh", "utf8")
    const scripts = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts
    expect(LOG_WRITER_NODE_FLAGS.length).toBeGreaterThan(0)
    for (const flag of LOG_WRITER_NODE_FLAGS) {
      expect(devScript).toMatch(new RegExp(`exec node .*${flag}.* scripts/dev\\.ts`))
      expect(scripts.bench).toContain(`node ${flag} `)
      expect(scripts.start).toContain(`node ${flag} `)
    }
  })
})
