/**
 * Sends a Postgres CancelRequest for a backend, so a query whose HTTP caller gave up
 * (fetch aborted, timeout) stops instead of holding a pooled connection.
 */
import { createConnection } from "node:net";
import type { HostPort } from "./local-address.ts";

/** Protocol constant: the "version" that marks a startup packet as a CancelRequest. */
const CANCEL_REQUEST_CODE = 80877102;

export function sendCancelRequest(target: HostPort, processID: number, secretKey: number): Promise<void> {
  const message = Buffer.alloc(16);
  message.writeInt32BE(16, 0);
  message.writeInt32BE(CANCEL_REQUEST_CODE, 4);
  message.writeInt32BE(processID, 8);
  message.writeInt32BE(secretKey, 12);
  return new Promise((resolve) => {
    const socket = createConnection({ host: target.host, port: target.port }, () => socket.end(message));
    // Cancelling is best effort: the query finishes or fails on its own either way.
    socket.on("error", () => resolve());
    socket.on("close", () => resolve());
  });
}
