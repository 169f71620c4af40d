// The thread's side of worker-client.ts, written once for the writer, the readers and the relay's
// outbox thread: each request answered with its id, in the order it came; a failure as its message and
// its code (SQLITE_FULL…), which the main thread's storeErrorCode reads.
import { parentPort } from 'node:worker_threads';

/** An error's message, for the reply that carries it back to the main thread. */
export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** better-sqlite3's error code (`SQLITE_FULL`, ...), which must cross to the main thread beside the message. */
export const codeOf = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

/** A reply without its id: what a handler returns (the id is the request's). */
type Body<Reply> = Reply extends unknown ? Omit<Reply, 'id'> : never;

/** Answers every request this thread receives with what `handle` returns for it (or its failure). */
export function answerRequests<Request extends { id: number }, Reply extends { id: number }>(handle: (request: Request) => Body<Reply> | Promise<Body<Reply>>): void {
  parentPort!.on('message', (request: Request) => {
    // `handle` starts at once, in arrival order (a synchronous one finishes before the next message is read).
    void (async () => {
      try {
        return { id: request.id, ...(await handle(request)) };
      } catch (err) {
        const code = codeOf(err);
        return { id: request.id, error: messageOf(err), ...(code === undefined ? {} : { code }) };
      }
    })().then((reply) => parentPort!.postMessage(reply));
  });
}
