import type { CliIo } from './io.js';

/** Below this a file goes up in a blink: a progress line would only flicker. */
export const PROGRESS_MIN_BYTES = 1024 * 1024;

/** 1536 -> "1.5 KiB", as twine's progress bar shows sizes (binary units). */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB'] as const;
  let value = bytes / 1024;
  let unit: (typeof units)[number] = units[0];
  for (const next of units.slice(1)) {
    if (value < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${value.toFixed(1)} ${unit}`;
}

export interface FileProgress {
  /** For upload-client's onProgress; undefined when nothing is to be shown. */
  readonly onProgress: ((sent: number, total: number) => void) | undefined;
  /** The file's last line: "Uploading NAME ... 201". */
  finish(outcome: string): void;
}

/**
 * The lines of one file's upload. Piped (a CI log, a file), they are exactly what they
 * were before progress existed: one line per file once it is done, so logs and scripts
 * see no carriage returns. On a terminal, as twine shows a progress bar there: the file's
 * line appears when its upload starts, is rewritten in place (carriage return) as each
 * whole percent of a large file goes out, and ends with the size and the outcome.
 */
export function fileProgress(io: Pick<CliIo, 'out' | 'stdoutIsTty'>, filename: string, size: number): FileProgress {
  if (io.stdoutIsTty !== true) {
    return { onProgress: undefined, finish: (outcome) => io.out(`Uploading ${filename} ... ${outcome}\n`) };
  }
  let width = 0;
  const write = (line: string, end = '') => {
    // Pad over the longer line before it: no cursor-control sequences, which TERM=dumb lacks.
    io.out(`\r${line.padEnd(width)}${end}`);
    width = line.length;
  };
  write(`Uploading ${filename} ...`);
  let shown = -1;
  const onProgress =
    size < PROGRESS_MIN_BYTES
      ? undefined
      : (sent: number, total: number) => {
          const percent = Math.floor((100 * sent) / Math.max(total, 1));
          if (percent === shown) return;
          shown = percent;
          write(`Uploading ${filename} ${formatSize(Math.min(size, Math.round((size * sent) / Math.max(total, 1))))} / ${formatSize(size)} ${percent}%`);
        };
  return { onProgress, finish: (outcome) => write(`Uploading ${filename} ${formatSize(size)} ... ${outcome}`, '\n') };
}
