import type { Decider } from "../decider"
import type { NodeCommand } from "./commands"
import { decide } from "./decide"
import type { NodeError } from "./errors"
import type { NodeEvent } from "./events"
import { evolve, initialState, type NodeState } from "./state"

export const node: Decider<NodeCommand, NodeEvent, NodeState, NodeError> = { decide, evolve, initialState }
export const nodeStream = (nodeId: string) => `node-${nodeId}`
