/** A counter's or gauge's value in this process, summed over its series (those with `outcome` only, when given). */
export const countedIn = async (
  metric: { get(): Promise<{ values: ReadonlyArray<{ value: number; labels: Record<string, unknown> }> }> },
  outcome?: string
): Promise<number> => (await metric.get()).values.filter((v) => outcome === undefined || v.labels.outcome === outcome).reduce((sum, v) => sum + v.value, 0)
