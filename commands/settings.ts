import { Exit, Schema } from "effect"
import { address, addresses, flag, integer, port, text, url, type Setting } from "../infra/config"
import { defaultProtocol, ProtocolParams } from "../domain/protocol"
import { DEFAULT_CHAIN_ID } from "../infra/identity/signature"
import { signatureWorkersSetting } from "../infra/identity/recoverPool"
import { hashCheckWorkersSetting } from "../infra/eventStore/hashCheckPool"

/**
 * PROTOCOL: JSON overriding some protocol parameters (docs/protocol.md), e.g.
 * `{"challengeSeconds":5,"minStake":{"trainer":"2000","validator":"1000"}}`;
 * each given field is validated like the whole.
 */
const decodeProtocol = Schema.decodeUnknownExit(ProtocolParams)
const encodeProtocol = Schema.encodeSync(ProtocolParams)
export const protocolSetting = (fallback: ProtocolParams = defaultProtocol): Setting<ProtocolParams> => ({
  doc: "JSON object overriding protocol parameters (docs/protocol.md)",
  fallback,
  parse: (raw) => {
    let overrides: unknown
    try {
      overrides = JSON.parse(raw)
    } catch {
      return { invalid: "must be a JSON object" }
    }
    if (typeof overrides !== "object" || overrides === null || Array.isArray(overrides)) return { invalid: "must be a JSON object" }
    const merged = decodeProtocol({ ...encodeProtocol(fallback), ...overrides })
    return Exit.isSuccess(merged) ? merged.value : { invalid: `not valid protocol parameters: ${String(merged.cause)}`.slice(0, 300) }
  }
})

/** What the API process reads from its environment (validated at start; README "Environment"). */
export const apiSettings = {
  API_PORT: port("HTTP port", 8080),
  API_HOST: text("HTTP interface", "127.0.0.1"),
  API_LOG: flag("request logging", true),
  SNAPSHOTS: text("off: rebuild the read models at every start instead of loading the snapshot", "on", /^(on|off)$/),
  COORDINATOR_ADDRESSES: addresses("coordinator identities: may start and close rounds and add model versions"),
  BRIDGE_ADDRESSES: addresses("chain-bridge identities: may record anchors"),
  ADMIN_ADDRESSES: addresses("admin identities: may rebuild the read models"),
  CHAIN_ID: integer("chain id of the signing domain and of the anchor chain", DEFAULT_CHAIN_ID, 1),
  CHAIN_RPC_URL: url("JSON-RPC URL of the chain RecordAnchor is checked against"),
  ANCHOR_CONTRACT: address("the EventAnchor contract RecordAnchor is checked against"),
  ESCROW_CONTRACT: address("the NeuraEscrow contract: when set, budgets and stake must be deposited there (RecordDeposit / RecordSettlement are checked against it)"),
  TOKEN_CONTRACT: address("the NeuraToken contract (told to clients by GET /settlement)"),
  REGISTRY_CONTRACT: address("the ModelRegistry contract (told to clients by GET /settlement)"),
  DEPLOYED_AT_BLOCK: integer("the block the settlement contracts were deployed at", 0, 0),
  PROTOCOL: protocolSetting(),
  // Read by the thread pools when they start; checked here too, so a typo stops the API at its
  // start instead of at its first command or verification.
  ...signatureWorkersSetting,
  ...hashCheckWorkersSetting
}
