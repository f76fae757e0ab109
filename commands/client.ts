import type { FastifyInstance } from "fastify"
import { signCommand, type KeyPair } from "../infra/identity/signature"

/**
 * A small client for the command API: signs each command with the caller's
 * key and posts it. Works over HTTP (fetch) or in-process (fastify inject).
 * Payloads are the encoded (JSON) form: money as decimal strings.
 */
export interface Transport {
  /** A JSON body, or raw bytes (sent as application/octet-stream). */
  request(
    method: "GET" | "POST" | "PUT",
    path: string,
    body?: unknown,
    headers?: Record<string, string>
  ): Promise<{ status: number; body: any; headers: Record<string, unknown> }>
}

const encodeBody = (body: unknown): { contentType: string; data: string | Uint8Array } =>
  body instanceof Uint8Array ? { contentType: "application/octet-stream", data: body } : { contentType: "application/json", data: JSON.stringify(body) }

export const httpTransport = (baseUrl: string): Transport => ({
  async request(method, path, body, headers = {}) {
    const encoded = body === undefined ? undefined : encodeBody(body)
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: encoded === undefined ? headers : { "content-type": encoded.contentType, ...headers },
      ...(encoded === undefined ? {} : { body: encoded.data as string })
    })
    const text = await response.text()
    return { status: response.status, body: text ? JSON.parse(text) : undefined, headers: Object.fromEntries(response.headers) }
  }
})

export const injectTransport = (app: FastifyInstance): Transport => ({
  async request(method, path, body, headers = {}) {
    const encoded = body === undefined ? undefined : encodeBody(body)
    const response = await app.inject({
      method,
      url: path,
      headers: encoded === undefined ? headers : { "content-type": encoded.contentType, ...headers },
      ...(encoded === undefined ? {} : { payload: typeof encoded.data === "string" ? encoded.data : Buffer.from(encoded.data) })
    })
    return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined, headers: response.headers }
  }
})

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: { code: string; detail?: string; [k: string]: unknown }
  ) {
    super(`${status} ${problem.code}${problem.detail ? `: ${problem.detail}` : ""}`)
  }
}

export interface CommandResponse {
  readonly commandId: string
  readonly type: string
  readonly duplicate: boolean
  readonly globalPosition: number
  readonly results: ReadonlyArray<{ stream: string; globalPosition: number; events: ReadonlyArray<{ type: string; data: any; globalPosition: number; hash: string }> }>
}

/** How often a command refused for contention is sent again before giving up. */
const CONTENDED_RESENDS = 5

export class NeuraClient {
  constructor(
    readonly transport: Transport,
    readonly key: KeyPair
  ) {}

  as(key: KeyPair): NeuraClient {
    return new NeuraClient(this.transport, key)
  }

  /**
   * Sign and send; throws ApiError on a problem response. A hot stream can
   * answer 409 ConcurrencyRetriesExhausted: the command was not appended, so
   * the same signed body (same command id, hence idempotent) goes again after
   * a growing, jittered pause, as the OpenAPI advises every client to do.
   */
  async command(type: string, payload: unknown, options: { commandId?: string; issuedAt?: string } = {}): Promise<CommandResponse> {
    const body = signCommand(this.key, type, payload, options)
    for (let attempt = 1; ; attempt++) {
      const response = await this.transport.request("POST", `/commands/${type}`, body)
      if (response.status < 400) return response.body
      if (response.body?.code !== "ConcurrencyRetriesExhausted" || attempt >= CONTENDED_RESENDS) throw new ApiError(response.status, response.body)
      await new Promise((r) => setTimeout(r, Math.random() * 50 * 2 ** attempt))
    }
  }

  async get(path: string): Promise<any> {
    const response = await this.transport.request("GET", path)
    if (response.status >= 400) throw new ApiError(response.status, response.body)
    return response.body
  }

  /** An unsigned JSON request (queries with a body, e.g. generation). */
  async post(path: string, body: unknown): Promise<any> {
    const response = await this.transport.request("POST", path, body)
    if (response.status >= 400) throw new ApiError(response.status, response.body)
    return response.body
  }
}
