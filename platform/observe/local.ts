/** `leveler observe`: the local platform's view, from GET /api/status and /api/scale-events. */
import type { PlatformStatus } from "../status/status-document.js";
import { renderView, type ObservedFunction, type ObservedScaleEvent } from "./view.js";

export async function observeLocal(
  statusBase: string,
  options: { once: boolean; intervalMs: number },
): Promise<void> {
  const events: ObservedScaleEvent[] = [];
  let since = "";
  for (;;) {
    let status: PlatformStatus;
    try {
      status = (await (
        await fetch(`${statusBase}/api/status`, { signal: AbortSignal.timeout(3000) })
      ).json()) as PlatformStatus;
      const fresh = (await (
        await fetch(`${statusBase}/api/scale-events?since=${encodeURIComponent(since)}`)
      ).json()) as { events: ObservedScaleEvent[] };
      events.push(...fresh.events);
      if (fresh.events.length) since = fresh.events.at(-1)!.time;
    } catch {
      throw new Error(`nothing answers at ${statusBase}; is \`npm start\` running?`);
    }
    const functions: ObservedFunction[] = status.functions.map((f) => {
      const triggers = status.triggers.filter((t) => t.subscriber.replace(/\/$/, "") === f.url);
      return {
        name: f.name,
        replicas: f.replicas,
        ready: f.ready,
        desired: f.desired,
        inFlight: f.inFlight,
        queueDepth: triggers.length
          ? triggers.reduce((sum, t) => sum + (t.queueDepth ?? 0), 0)
          : undefined,
        delivering: triggers.length
          ? {
              inFlight: triggers.reduce((sum, t) => sum + Number(t.dispatcher.inFlight ?? 0), 0),
              bound: triggers.reduce((sum, t) => sum + Number(t.dispatcher.inFlightBound ?? 0), 0),
            }
          : undefined,
      };
    });
    const screen = renderView(`leveler observe (${statusBase})`, functions, events);
    if (options.once) {
      process.stdout.write(screen);
      return;
    }
    process.stdout.write(`\x1b[H\x1b[2J${screen}`);
    await new Promise((r) => setTimeout(r, options.intervalMs));
  }
}
