/**
 * The JSON values of a JSONL byte stream, one per non-blank line, as they arrive: a
 * results stream of a large batch is never held whole. Web streams only, so the client
 * runs wherever fetch does.
 */
export async function* jsonLines(body: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  let pending = '';
  for await (const chunk of body.pipeThrough(
    // lib.dom's TextDecoderStream takes any BufferSource; the body's chunks are bytes.
    new TextDecoderStream() as unknown as ReadableWritablePair<string, Uint8Array>,
  )) {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const line = pending.slice(0, newline);
      pending = pending.slice(newline + 1);
      if (line.trim() !== '') {
        yield JSON.parse(line);
      }
      newline = pending.indexOf('\n');
    }
  }
  if (pending.trim() !== '') {
    yield JSON.parse(pending);
  }
}
