import { ApiError } from './api-error.ts';

/**
 * Decodes a request body as UTF-8 and refuses bad bytes. Node's default decoding replaces
 * them with U+FFFD, which would silently change a prompt; a client that sent Latin-1 should
 * hear about it instead.
 */
const decoder = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8Strict(body: Buffer): string {
  try {
    return decoder.decode(body);
  } catch (error) {
    throw new ApiError('invalid_utf8', 'body is not valid UTF-8', undefined, { cause: error });
  }
}

/** A `charset` parameter other than UTF-8 on a JSON body is refused with a 415. */
export function assertUtf8Charset(contentType: string | undefined): void {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '')?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    throw new ApiError(
      'unsupported_media_type',
      `charset "${charset}" is not supported; send UTF-8 (charset=utf-8)`,
    );
  }
}
