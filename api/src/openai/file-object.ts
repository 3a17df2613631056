import type { StoredFile } from '@warmgen/shared/ports/file-store.ts';

/** OpenAI's file object. */
export interface FileObject {
  id: string;
  object: 'file';
  bytes: number;
  created_at: number;
  filename: string;
  purpose: string;
  status: 'processed';
  expires_at: null;
}

export function toFileObject(file: StoredFile): FileObject {
  return {
    id: file.id,
    object: 'file',
    bytes: file.bytes,
    created_at: Math.floor(file.createdAtMs / 1000),
    filename: file.filename,
    purpose: file.purpose,
    status: 'processed',
    expires_at: null,
  };
}

/**
 * A batch's output and error files are not stored: they are read from the job store when
 * downloaded, so they are always current and cost nothing to keep. Their ids say which
 * batch and which kind; an uploaded file's id (`file-` + random) never has these forms.
 */
export type BatchFileKind = 'output' | 'error';
const batchFilePattern = /^file-(output|error)-(batch_[A-Za-z0-9_-]+)$/;

export function batchFileId(batchId: string, kind: BatchFileKind): string {
  return `file-${kind}-${batchId}`;
}

export function parseBatchFileId(id: string): { batchId: string; kind: BatchFileKind } | null {
  const match = batchFilePattern.exec(id);
  return match === null ? null : { kind: match[1] as BatchFileKind, batchId: match[2] as string };
}
