import { defineConfig } from "vitest/config"

// The three-member JetStream cluster needs its members to keep up with one
// another's heartbeats; beside the heavy e2e files on a busy 2-core machine a
// member once stayed "not current" for minutes, so R3 placement failed. It
// runs alone, after everything else (groupOrder), in the same run and report.
const alone = ["tests/integration/cluster.int.spec.ts"]

export default defineConfig({
  test: {
    // Integration files each start their own nats-server; two cores, so keep the pool small.
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: "suite", include: ["tests/**/*.spec.ts"], exclude: alone, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: "alone", include: alone, sequence: { groupOrder: 1 } } }
    ]
  }
})
