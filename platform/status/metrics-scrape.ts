/** Reads counters from a function's Prometheus endpoint (text exposition format). */
export async function scrapeCounter(
  url: string,
  metric: string,
  label: string,
): Promise<Record<string, number> | undefined> {
  const text = await scrapeText(url);
  return text === undefined ? undefined : parseCounter(text, metric, label);
}

/** The exposition text of one endpoint; undefined if it does not answer within a second. */
export async function scrapeText(url: string): Promise<string | undefined> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
    if (!response.ok) return undefined;
    return await response.text();
  } catch {
    return undefined;
  }
}

export function parseCounter(text: string, metric: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  const labelPattern = new RegExp(`${label}="((?:[^"\\\\]|\\\\.)*)"`);
  for (const line of text.split("\n")) {
    if (!line.startsWith(metric + "{") && !line.startsWith(metric + " ")) continue;
    const value = Number(line.slice(line.lastIndexOf(" ") + 1));
    const key = labelPattern.exec(line)?.[1] ?? "";
    if (Number.isFinite(value)) out[key] = (out[key] ?? 0) + value;
  }
  return out;
}
