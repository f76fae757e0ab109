import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"
import { decryptKey, encryptKey } from "../../infra/identity/keystore"
import { generateKeyPair } from "../../infra/identity/signature"
import { UsageError, type CliCommand } from "../cli"

const password = () => {
  const p = process.env.NEURA_KEYSTORE_PASSWORD
  if (p === undefined || p.length === 0) throw new UsageError("set the keystore password in NEURA_KEYSTORE_PASSWORD")
  return p
}

/** Node keys at rest, in Web3 Secret Storage v3 files (what Ethereum wallets read and write). */
export const keyCommands: ReadonlyArray<CliCommand> = [
  {
    name: "keys new",
    args: "",
    summary: "Make a secp256k1 node key and store it encrypted (scrypt, AES-128-CTR) under NEURA_KEYSTORE_PASSWORD; sign with it through --keystore <file>.",
    options: { out: { type: "string", description: "the file (default .data/keys/<address>.json); never overwritten" } },
    run: async (ctx, _, values) => {
      const key = generateKeyPair()
      const file = (values.out as string | undefined) ?? `.data/keys/${key.address}.json`
      if (existsSync(file)) throw new UsageError(`${file} exists; keystores are never overwritten`)
      mkdirSync(dirname(file), { recursive: true })
      writeFileSync(file, `${JSON.stringify(encryptKey(key, password()), null, 2)}\n`, { mode: 0o600 })
      chmodSync(file, 0o600)
      ctx.print(`${key.address} (public key ${key.publicKey}) in ${file}`, { address: key.address, publicKey: key.publicKey, file })
      return 0
    }
  },
  {
    name: "keys show",
    args: "<file>",
    summary: "The address a keystore holds; with NEURA_KEYSTORE_PASSWORD set, it is decrypted to prove the password and show the public key.",
    run: async (ctx, [file]) => {
      if (!file) throw new UsageError("keys show needs <file>")
      const doc = JSON.parse(readFileSync(file, "utf8")) as { address?: string }
      if (process.env.NEURA_KEYSTORE_PASSWORD === undefined) {
        ctx.print(`0x${doc.address ?? "(no address recorded)"} (set NEURA_KEYSTORE_PASSWORD to open it)`, { address: doc.address ? `0x${doc.address}` : null })
        return 0
      }
      const key = decryptKey(doc, password())
      ctx.print(`${key.address} (public key ${key.publicKey})`, { address: key.address, publicKey: key.publicKey })
      return 0
    }
  }
]
