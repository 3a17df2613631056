import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A database path in a fresh temporary folder; `remove` deletes the folder. For tests. */
export function temporaryDatabasePath(): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'warmgen-sqlite-'));
  return {
    path: join(dir, 'warmgen.sqlite'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
