/**
 * A server that could not listen, as the one line a user reads: where, why, and the variable that
 * chose the port (another process holding it is the usual case, and theirs to fix).
 */
export function listenError(
  err: NodeJS.ErrnoException,
  host: string | undefined,
  port: number,
  variable: string,
): Error {
  const why = err.code === "EADDRINUSE" ? "the port is in use" : err.message;
  const where = host === undefined ? `port ${port}` : `${host}:${port}`;
  return new Error(`cannot listen on ${where}: ${why} (${variable})`);
}
