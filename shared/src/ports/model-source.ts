/**
 * Where the model files come from: a local folder (file://) or Cloud Storage (gs://).
 * The hydrator lists, compares with its local manifest, and downloads what changed.
 */
export interface ModelFile {
  /** Path relative to the model root, with forward slashes (e.g. "onnx/model.onnx"). */
  path: string;
  sizeBytes: number;
  /** A version marker that changes whenever the content does (GCS generation, mtime+size). */
  version: string;
  /** Base64 CRC32C or MD5 as the source reports it, when it does. */
  crc32c?: string;
  md5?: string;
}

/** The bytes start..end of a file, both inclusive (as HTTP Range and fs streams count). */
export interface ByteRange {
  start: number;
  end: number;
}

export interface ModelSource {
  /** Human-readable origin for logs, e.g. "gs://bucket/gpt2". */
  readonly description: string;
  list(): Promise<ModelFile[]>;
  /**
   * Streams one file, or one byte range of it (for parallel chunked downloads). Reads the
   * listed version only: if the file changed since list(), the stream fails instead of
   * mixing versions. The caller verifies sizes and checksums while writing; errors
   * (HTTP status, resets) surface as stream errors.
   */
  open(file: ModelFile, range?: ByteRange): Promise<NodeJS.ReadableStream>;
}
