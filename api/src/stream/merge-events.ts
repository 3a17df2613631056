/**
 * Several async iterables as one, each item tagged with its source's index, in the order
 * they come (a completion's prompts stream side by side). Returning early (the client went
 * away) returns every source, so their watchers and timers stop.
 */
export async function* mergeEvents<T>(
  sources: readonly AsyncIterable<T>[],
): AsyncGenerator<{ index: number; value: T }> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  const next = (index: number) => iterators[index]!.next().then((result) => ({ index, result }));
  const pending = new Map(iterators.map((_, index) => [index, next(index)]));
  try {
    while (pending.size > 0) {
      const { index, result } = await Promise.race(pending.values());
      if (result.done) {
        pending.delete(index);
        continue;
      }
      pending.set(index, next(index));
      yield { index, value: result.value };
    }
  } finally {
    await Promise.all([...pending.keys()].map((index) => iterators[index]!.return?.()));
  }
}
