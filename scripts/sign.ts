import { devKey } from "../commands/samples"
import { keyPairFromSecret, signCommand } from "../infra/identity/signature"

/**
 * Sign a command for curl (see README):
 *   npx tsx scripts/sign.ts <key> <CommandType> '<payload JSON>'   → signed body on stdout
 *   npx tsx scripts/sign.ts <key> --whoami                          → address and public key
 * <key> is a dev identity name (derived deterministically: never use for real
 * value) or 0x<32-byte secret>. In the payload, "$PUBLIC_KEY" and "$ADDRESS"
 * are replaced by the key's own.
 */
const [keyArg, type, payloadText] = process.argv.slice(2)
if (!keyArg || !type) {
  console.error("usage: scripts/sign.ts <key-name|0xsecret> <CommandType> '<payload JSON>' | --whoami")
  process.exit(2)
}
const key = keyArg.startsWith("0x") ? keyPairFromSecret(keyArg) : devKey(keyArg)
if (type === "--whoami") {
  console.log(JSON.stringify({ address: key.address, publicKey: key.publicKey }))
} else {
  const text = (payloadText ?? "{}").replaceAll("$PUBLIC_KEY", key.publicKey).replaceAll("$ADDRESS", key.address)
  let payload: unknown
  try {
    payload = JSON.parse(text)
  } catch (e) {
    console.error(`payload is not JSON: ${(e as Error).message}`)
    process.exit(2)
  }
  console.log(JSON.stringify(signCommand(key, type, payload)))
}
