/**
 * A request the endpoint itself rejects (bad body, header or address), as opposed to
 * an error Postgres raised. Answered as `{"message"}` with `status`; on 400 the
 * Neon client turns it into a NeonDbError carrying that message.
 */
export class EndpointError extends Error {
  override readonly name = "EndpointError";

  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}
