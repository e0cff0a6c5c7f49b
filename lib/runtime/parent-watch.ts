/**
 * A process the local platform starts gets an IPC channel to it (stdio "ipc"). When that channel
 * closes, the platform is gone (it exited, crashed or was SIGKILLed): stop as on SIGTERM (drain,
 * then exit) rather than live on as an orphan. Without a channel, as in a Knative pod, this does
 * nothing: the kubelet's SIGTERM is the only signal there, and the function cannot tell the two
 * apart.
 */

/**
 * How long the drain may take once the platform is gone. Nobody is left to send the SIGKILL that
 * ends a slow drain (the platform's grace period), so the process ends it itself: what it still
 * held unacknowledged is redelivered by RabbitMQ, as after a crash.
 */
export const ORPHAN_DRAIN_MS = 3_000;

/** Call once at start; the process's own SIGTERM handler does the stopping. */
export function exitWithParent(drainMs = ORPHAN_DRAIN_MS): void {
  const channel = process.channel;
  if (!channel) return;
  process.once("disconnect", () => {
    // Whoever read our stdout and stderr went with the channel: a log line must not turn the
    // drain into a crash on EPIPE.
    for (const stream of [process.stdout, process.stderr]) stream.on("error", () => undefined);
    process.kill(process.pid, "SIGTERM");
    setTimeout(() => process.exit(1), drainMs).unref();
  });
  // Listening for "disconnect" holds the channel open; it must not keep the process alive alone.
  channel.unref();
}
