/**
 * The two controls: "send a burst" and the sampling ratio. Both go through the control API with
 * the session cookie; the browser adds the Origin header the server checks.
 */
import type { BurstStatus } from "../wire.js";
import { formatCount } from "./series.js";

interface Problem {
  detail?: string;
  title?: string;
}

async function post(
  path: string,
  body: unknown,
): Promise<{ ok: boolean; status: number; json: Record<string, unknown> & Problem }> {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = (await response.json().catch(() => ({}))) as Record<string, unknown> & Problem;
  return { ok: response.ok, status: response.status, json };
}

function explain(status: number, json: Problem): string {
  if (status === 401)
    return "Not logged in: open the link npm start printed, or log in with the token.";
  return json.detail ?? json.title ?? `the platform answered ${status}`;
}

export function setupBurst(form: HTMLFormElement, out: HTMLElement): void {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const button = form.querySelector<HTMLButtonElement>("button[type=submit]")!;
    button.disabled = true;
    out.textContent = "Starting…";
    post("/api/burst", { count: Number(data.get("count")), type: data.get("type") })
      .then(({ ok, status, json }) => {
        if (!ok) out.textContent = explain(status, json);
      })
      .catch((err: Error) => (out.textContent = `Could not reach the platform: ${err.message}`))
      .finally(() => (button.disabled = false));
  });
}

/** The burst's progress line, from the event stream. */
export function describeBurst(burst: BurstStatus | null): string {
  if (!burst) return "";
  const what = burst.types.length === 1 ? burst.types[0]!.split(".").at(-2)! : "mixed";
  const answers = `${formatCount(burst.accepted)} accepted, ${formatCount(burst.refused)} refused${burst.failed ? `, ${formatCount(burst.failed)} failed` : ""}`;
  if (burst.finishedAt === null)
    return `Sending ${formatCount(burst.sent)} of ${formatCount(burst.count)} ${what} events: ${answers}.`;
  const seconds = ((burst.finishedAt - burst.startedAt) / 1000).toFixed(1);
  return `Sent ${formatCount(burst.count)} ${what} events in ${seconds} s: ${answers}.${burst.failed && burst.lastError ? ` Last error: ${burst.lastError}` : ""}`;
}

export function setupSampling(
  form: HTMLFormElement,
  input: HTMLInputElement,
  out: HTMLElement,
  onWritten: (ratio: number) => void,
): void {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    out.textContent = "Writing…";
    // The text as typed: the server checks it as `leveler sampling` does, and says what is wrong.
    post("/api/sampling", { ratio: input.value })
      .then(({ ok, status, json }) => {
        if (!ok) {
          out.textContent = explain(status, json);
          return;
        }
        const ratio = json.samplerRatio as number;
        out.textContent = `Ratio ${ratio} written; every process applies it within a second.`;
        onWritten(ratio);
      })
      .catch((err: Error) => (out.textContent = `Could not reach the platform: ${err.message}`));
  });
  for (const preset of form.querySelectorAll<HTMLButtonElement>("button.preset")) {
    preset.addEventListener("click", () => {
      input.value = preset.dataset.ratio ?? "";
      form.requestSubmit();
    });
  }
}
