/**
 * Waiting on another request's in-flight load, with a bound: if the leader has
 * not settled within `waitMs`, run our own instead. A safety net for a leader
 * whose request was cancelled: its promise may never settle, and every joiner
 * would hang with it.
 */
export function joinBounded<T>(leader: Promise<T>, waitMs: number, own: () => Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      own().then(resolve, reject);
    }, waitMs);
    leader.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
