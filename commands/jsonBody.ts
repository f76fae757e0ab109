import { JsonTooDeep } from "./apiErrors"

/**
 * Limits on request bodies, documented in the README and OpenAPI:
 * - a command body is at most MAX_BODY_BYTES (its payload is stored up to
 *   three times per event: data, signed copy, hash input; well under the
 *   log's 1 MiB message limit), else 413 PayloadTooLarge;
 * - JSON nests at most MAX_JSON_DEPTH levels, else 400 JsonTooDeep. Checked
 *   on the raw text before parsing, without recursion, so no parser, schema
 *   or canonical-JSON writer downstream can be driven into a stack overflow.
 */
export const MAX_BODY_BYTES = 128 * 1024
export const MAX_JSON_DEPTH = 32

/** The deepest nesting of arrays/objects in a JSON text (strings skipped), stopping early past `limit`. */
export const jsonDepth = (text: string, limit = Infinity): number => {
  let depth = 0
  let deepest = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // backslash: skip the escaped character
      else if (c === 0x22) inString = false
      continue
    }
    if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      depth++
      if (depth > deepest) {
        deepest = depth
        if (deepest > limit) return deepest
      }
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  return deepest
}

/** Fastify's JSON body parser with the depth check in front. */
export const parseJsonBody = (text: string): unknown => {
  if (jsonDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) throw new JsonTooDeep({ maxDepth: MAX_JSON_DEPTH })
  return text.length === 0 ? undefined : JSON.parse(text)
}
