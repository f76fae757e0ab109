import { describe, expect, it } from "vitest"
import { appendPaged, emptyPagedList, findPaged, itemsPaged, lastPaged, PAGE_SIZE, sizePaged, updatePaged, type PagedList } from "../../../domain/pagedList"

const listOf = (n: number): PagedList<number> => {
  let list: PagedList<number> = emptyPagedList
  for (let i = 0; i < n; i++) list = appendPaged(list, i)
  return list
}

describe("a paged list (what grows without bound in a stream's state or a read model)", () => {
  it("keeps items in order in full pages and one partial page", () => {
    const list = listOf(2 * PAGE_SIZE + 7)
    expect(list.map((page) => page.length)).toEqual([PAGE_SIZE, PAGE_SIZE, 7])
    expect(itemsPaged(list)).toEqual(Array.from({ length: 2 * PAGE_SIZE + 7 }, (_, i) => i))
    expect(sizePaged(list)).toBe(2 * PAGE_SIZE + 7)
    expect(lastPaged(list)).toBe(2 * PAGE_SIZE + 6)
    expect(lastPaged(emptyPagedList)).toBeUndefined()
    expect(sizePaged(emptyPagedList)).toBe(0)
  })

  it("never changes a list it was given, and shares the pages it did not touch", () => {
    const full = listOf(PAGE_SIZE)
    const partial = listOf(PAGE_SIZE + 3)
    const fullCopy = JSON.stringify(full)
    const partialCopy = JSON.stringify(partial)
    const fromFull = appendPaged(full, -1)
    const fromPartial = appendPaged(partial, -1)
    expect(JSON.stringify(full)).toBe(fullCopy)
    expect(JSON.stringify(partial)).toBe(partialCopy)
    expect(fromFull[0]).toBe(full[0])
    expect(fromPartial[0]).toBe(partial[0])
    expect(fromPartial[1]).not.toBe(partial[1])
  })

  it("finds the first match and updates only the pages holding a match", () => {
    const list = listOf(PAGE_SIZE + 10)
    expect(findPaged(list, (x) => x === PAGE_SIZE + 2)).toBe(PAGE_SIZE + 2)
    expect(findPaged(list, (x) => x % 7 === 6)).toBe(6)
    expect(findPaged(list, (x) => x < 0)).toBeUndefined()
    const updated = updatePaged(list, (x) => x === PAGE_SIZE + 1, (x) => -x)
    expect(updated[0]).toBe(list[0])
    expect(itemsPaged(updated)[PAGE_SIZE + 1]).toBe(-(PAGE_SIZE + 1))
    expect(itemsPaged(list)[PAGE_SIZE + 1]).toBe(PAGE_SIZE + 1)
    expect(updatePaged(list, (x) => x < 0, (x) => x)).toBe(list)
  })
})
