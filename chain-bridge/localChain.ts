import {
  ContractDecoder,
  EdrContext,
  L1_CHAIN_TYPE,
  l1GenesisState,
  l1HardforkLatest,
  l1HardforkToString,
  l1ProviderFactory,
  MineOrdering,
  type Provider
} from "@nomicfoundation/edr"
import { createServer, type Server } from "node:http"
import { hexToBytes, type EIP1193RequestFn } from "viem"
import { privateKeyToAccount } from "viem/accounts"

/**
 * A real EVM for development and tests: Hardhat's EDR engine in-process,
 * exposed as an EIP-1193 `request` function (for viem's `custom` transport)
 * and, for the dev stack, as a JSON-RPC HTTP server on 127.0.0.1. The bridge
 * itself only ever sees an RPC URL or a transport, so a real testnet works
 * unchanged.
 */
export const LOCAL_CHAIN_ID = 31337

/** Well-known development keys, funded at genesis. Never use them for real value. */
export const DEV_PRIVATE_KEYS = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
] as const

let context: Promise<EdrContext> | undefined
const edrContext = () =>
  (context ??= (async () => {
    // One context per process; every provider made from it is an independent chain.
    const ctx = new EdrContext()
    await ctx.registerProviderFactory(L1_CHAIN_TYPE, l1ProviderFactory())
    return ctx
  })())

export interface LocalChain {
  readonly chainId: number
  readonly request: EIP1193RequestFn
  readonly provider: Provider
}

export const startLocalChain = async (chainId = LOCAL_CHAIN_ID): Promise<LocalChain> => {
  const hardfork = l1HardforkLatest()
  const provider = await (await edrContext()).createProvider(
    L1_CHAIN_TYPE,
    {
      allowBlocksWithSameTimestamp: false,
      allowUnlimitedContractSize: false,
      bailOnCallFailure: true,
      bailOnTransactionFailure: false,
      chainId: BigInt(chainId),
      coinbase: hexToBytes(`0x${"00".repeat(20)}`),
      // The latest hardfork caps one transaction's gas at 2^24 (EIP-7825).
      defaultTransactionGasLimit: 16_000_000n,
      genesisState: [
        ...l1GenesisState(hardfork),
        ...DEV_PRIVATE_KEYS.map((k) => ({ address: hexToBytes(privateKeyToAccount(k).address), balance: 10_000n * 10n ** 18n }))
      ],
      hardfork: l1HardforkToString(hardfork),
      initialBaseFeePerGas: 1_000_000_000n,
      minGasPrice: 0n,
      mining: { autoMine: true, memPool: { order: MineOrdering.Priority } },
      network: { genesisBlockGasLimit: 30_000_000n } as never,
      networkId: BigInt(chainId),
      observability: {},
      ownedAccounts: [...DEV_PRIVATE_KEYS],
      precompileOverrides: []
    } as never,
    { enable: false, decodeConsoleLogInputsCallback: () => [], printLineCallback: () => undefined },
    { subscriptionCallback: () => undefined },
    new ContractDecoder()
  )
  let id = 0
  const request: EIP1193RequestFn = (async ({ method, params }: { method: string; params?: unknown }) => {
    // EDR wants `params` on every request, even when there are none.
    const response = await provider.handleRequest(JSON.stringify({ jsonrpc: "2.0", id: ++id, method, params: params ?? [] }))
    const parsed = typeof response.data === "string" ? JSON.parse(response.data) : response.data
    if (parsed.error) {
      // EDR reports a revert as { data: { data: "0x<revert data>" } }; nodes like
      // geth say code 3 with the hex in `data`, which is what viem decodes
      // custom errors (NotContiguous, …) from. Speak geth.
      const nested = parsed.error.data
      const revertData = typeof nested === "string" ? nested : typeof nested?.data === "string" ? nested.data : undefined
      throw Object.assign(new Error(revertData ? "execution reverted" : parsed.error.message), {
        code: revertData ? 3 : parsed.error.code,
        data: revertData ?? nested
      })
    }
    return parsed.result
  }) as EIP1193RequestFn
  return { chainId, request, provider }
}

/** Serve a local chain as JSON-RPC over HTTP (the dev stack's CHAIN_RPC_URL). */
export const serveJsonRpc = async (chain: LocalChain, port = 0): Promise<{ url: string; server: Server }> => {
  const server = createServer((req, res) => {
    let body = ""
    req.on("data", (c) => (body += c))
    req.on("end", async () => {
      const reply = async (call: { id?: unknown; method: string; params?: unknown }) => {
        try {
          return { jsonrpc: "2.0", id: call.id ?? null, result: await chain.request({ method: call.method as never, params: call.params as never }) }
        } catch (e) {
          const err = e as { code?: number; message?: string; data?: unknown }
          return { jsonrpc: "2.0", id: call.id ?? null, error: { code: err.code ?? -32603, message: err.message ?? String(e), data: err.data } }
        }
      }
      try {
        const parsed = JSON.parse(body)
        const result = Array.isArray(parsed) ? await Promise.all(parsed.map(reply)) : await reply(parsed)
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(result))
      } catch {
        res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify({ jsonrpc: "2.0", id: null, error: { code: -32700, message: "parse error" } }))
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve))
  const address = server.address()
  return { url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : port}`, server }
}
