import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `content` to `file` atomically: to a temp file in the same folder first (so the rename stays
 * on one filesystem), then renamed into place. A failed write leaves any existing `file` untouched and
 * removes the temp file.
 * @example
 * await writeFileAtomic('plan.json', `${JSON.stringify(plan, null, 2)}\n`);
 */
export async function writeFileAtomic(file: string, content: string): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(temp, content, { encoding: 'utf8', flag: 'wx' });
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
}
