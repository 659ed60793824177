import { AppError } from './errors.js';

/** Rejects with a retryable AppError when work takes longer than ms (the forge's webhook timeout is the budget). */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppError('network', `${what} took longer than ${ms} ms`, { retryable: true })), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
