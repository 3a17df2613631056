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

export interface ModelSource {
  /** Human-readable origin for logs, e.g. "gs://bucket/gpt2". */
  readonly description: string;
  list(): Promise<ModelFile[]>;
  /** Streams one file; the caller verifies checksums while writing. */
  open(file: ModelFile): Promise<NodeJS.ReadableStream>;
}
