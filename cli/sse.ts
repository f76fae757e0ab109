/**
 * Server-sent events over fetch: yields each event's type and parsed data
 * until the server closes or `signal` aborts. Only the fields our API sends
 * (`id`, `event`, `data`) are read; comments (keep-alives) are skipped.
 */
export interface ServerSentEvent {
  readonly id?: string
  readonly type: string
  readonly data: any
}

export async function* serverSentEvents(url: string, signal?: AbortSignal, lastEventId?: string): AsyncGenerator<ServerSentEvent> {
  const headers: Record<string, string> = { accept: "text/event-stream", ...(lastEventId ? { "last-event-id": lastEventId } : {}) }
  const response = await fetch(url, { headers, ...(signal ? { signal } : {}) })
  if (!response.ok || !response.body) {
    const text = await response.text().catch(() => "")
    throw new Error(`${response.status} ${text}`)
  }
  const decoder = new TextDecoder()
  let buffer = ""
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true })
    for (let end = buffer.indexOf("\n\n"); end >= 0; end = buffer.indexOf("\n\n")) {
      const block = buffer.slice(0, end)
      buffer = buffer.slice(end + 2)
      let id: string | undefined
      let type = "message"
      const data: Array<string> = []
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue
        const colon = line.indexOf(":")
        const field = colon < 0 ? line : line.slice(0, colon)
        const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "")
        if (field === "id") id = value
        else if (field === "event") type = value
        else if (field === "data") data.push(value)
      }
      if (data.length > 0) yield { ...(id ? { id } : {}), type, data: JSON.parse(data.join("\n")) }
    }
  }
}

/**
 * Like EventSource: when the connection drops (a restarted API, a proxy, a
 * broken subscription), reconnect after a growing pause with Last-Event-ID,
 * so the stream continues right after the last event seen: no gap, no
 * duplicate. An HTTP refusal (4xx) is final; so is `attempts` failures in a row.
 */
export async function* resumableEvents(url: string, signal: AbortSignal, attempts = 20): AsyncGenerator<ServerSentEvent> {
  let last: string | undefined
  for (let failures = 0; failures < attempts; ) {
    try {
      for await (const e of serverSentEvents(url, signal, last)) {
        failures = 0
        if (e.id) last = e.id
        yield e
      }
    } catch (e) {
      if (signal.aborted || (e instanceof Error && /^4\d\d /.test(e.message))) throw e
    }
    failures++
    await new Promise((r) => setTimeout(r, Math.min(5_000, 250 * 2 ** failures)))
  }
  throw new Error(`the event stream at ${url} dropped ${attempts} times in a row`)
}
