import { address, addresses, flag, integer, port, text, url } from "../infra/config"
import { DEFAULT_CHAIN_ID } from "../infra/identity/signature"

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
  ANCHOR_CONTRACT: address("the EventAnchor contract RecordAnchor is checked against")
}
