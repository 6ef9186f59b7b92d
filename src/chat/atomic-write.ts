// Atomic file replacement: write a temporary file in the same folder, fsync it, rename it over the
// target (rename is atomic within a file system), fsync the folder. A crash at any point leaves
// either the old file or the complete new one, never a mix; a failed write removes its temp file.

import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** The file operations used (injected in tests to simulate failures). */
export interface AtomicFs {
  open: typeof open;
  rename: typeof rename;
  rm: typeof rm;
}

const NODE_FS: AtomicFs = { open, rename, rm };
const TEMP_ID_BYTES = 4;

export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(TEMP_ID_BYTES).toString('hex')}`);
}

export async function atomicWriteFile(path: string, data: string | Uint8Array, fs: AtomicFs = NODE_FS): Promise<void> {
  const temp = tempPathFor(path);
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, path);
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  await syncDirectory(dirname(path), fs);
}

/** Makes the rename durable; some file systems refuse to open folders, which is fine to ignore. */
async function syncDirectory(dir: string, fs: AtomicFs): Promise<void> {
  try {
    const handle = await fs.open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not supported here (e.g. some network file systems); the rename itself is still atomic.
  }
}
