import { createHash } from "node:crypto"
import { keyPairFromSecret, type KeyPair } from "./signature"

/**
 * Development identities: the key is derived from a name, so the dev stack,
 * the demo, the README's examples and the tests are reproducible. Anyone can
 * derive them: never use a dev key outside a local stack.
 */
export const devKey = (name: string): KeyPair => keyPairFromSecret(createHash("sha256").update(`neuralink-dev:${name}`).digest())
