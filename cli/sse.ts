/**
 * Server-sent events over fetch: yields each event's type and parsed data
 * until the server closes or `signal` aborts. Only the fields our API sends
 * (`id`, `event`, `data`) are read; comments (keep-alives) are skipped.
 */
export async function* serverSentEvents(url: string, signal?: AbortSignal): AsyncGenerator<{ readonly id?: string; readonly type: string; readonly data: any }> {
  const response = await fetch(url, { headers: { accept: "text/event-stream" }, ...(signal ? { signal } : {}) })
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
