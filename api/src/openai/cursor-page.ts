/**
 * OpenAI's list page, which the SDK's CursorPage follows: it asks again with
 * `after=last_id` while `has_more`. Stores are asked for limit + 1 rows, so has_more is
 * known without a count.
 */
export async function cursorPage<R, T extends { id: string }>(
  rows: readonly R[],
  limit: number,
  toObject: (row: R) => T | Promise<T>,
) {
  const data = await Promise.all(rows.slice(0, limit).map(toObject));
  return {
    object: 'list' as const,
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: rows.length > limit,
  };
}
