import type { Decider } from "../decider"
import type { ModelCatalogCommand, ModelCommand } from "./commands"
import { decide, decideCatalog } from "./decide"
import type { ModelError } from "./errors"
import type { ModelCatalogEvent, ModelEvent } from "./events"
import { evolve, evolveCatalog, initialCatalogState, initialState, type CatalogState, type ModelState } from "./state"

export const model: Decider<ModelCommand, ModelEvent, ModelState, ModelError> = { decide, evolve, initialState }
export const modelCatalog: Decider<ModelCatalogCommand, ModelCatalogEvent, CatalogState, never> = {
  decide: decideCatalog,
  evolve: evolveCatalog,
  initialState: initialCatalogState
}
export const modelStream = (modelId: string) => `model-${modelId}`
/** One catalog for the whole network: the model-number allocator. */
export const MODEL_CATALOG_STREAM = "modelCatalog-main"
