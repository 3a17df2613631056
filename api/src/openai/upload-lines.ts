/**
 * Passes an upload's bytes through while counting its non-blank lines, so a batch file
 * over the line limit is known as soon as it is stored, without a second pass. Throws
 * `tooLarge()` if the source ended truncated (the multipart size limit cut it).
 */
export async function* countingLines(
  source: AsyncIterable<Uint8Array>,
  counter: { lines: number },
  isTruncated: () => boolean,
  tooLarge: () => Error,
): AsyncIterable<Uint8Array> {
  let lineHasText = false;
  for await (const chunk of source) {
    for (const byte of chunk) {
      if (byte === 0x0a) {
        if (lineHasText) {
          counter.lines += 1;
        }
        lineHasText = false;
      } else if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) {
        lineHasText = true;
      }
    }
    yield chunk;
  }
  if (lineHasText) {
    counter.lines += 1;
  }
  if (isTruncated()) {
    throw tooLarge();
  }
}
