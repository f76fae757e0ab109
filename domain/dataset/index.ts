import type { Decider } from "../decider"
import type { DatasetCommand } from "./commands"
import { decide } from "./decide"
import type { DatasetError } from "./errors"
import type { DatasetEvent } from "./events"
import { evolve, initialState, type DatasetState } from "./state"

export const dataset: Decider<DatasetCommand, DatasetEvent, DatasetState, DatasetError> = { decide, evolve, initialState }
export const datasetStream = (datasetId: string) => `dataset-${datasetId}`
