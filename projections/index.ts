import { balancesProjection } from "./balances"
import { leaderboardsProjection } from "./leaderboards"
import { modelsProjection } from "./models"
import { nodesProjection, resultVotesProjection } from "./nodes"
import type { Projection } from "./projection"
import { tasksProjection } from "./tasks"

/** Every read model, in the order they are applied (a projection may read those before it). */
export const allProjections: ReadonlyArray<Projection<any>> = [
  tasksProjection,
  modelsProjection,
  resultVotesProjection,
  nodesProjection,
  balancesProjection,
  leaderboardsProjection
]
