/**
 * The environment a replica or dispatcher starts with. A pod gets what its manifest and Knative
 * give it, never the shell of whoever ran `kubectl`; locally, the shell that ran `npm start` may
 * hold cloud keys, tokens and passwords, so a child gets only:
 *
 * - what a process needs to run: `PATH`, `HOME`, `TMPDIR`, `TZ`, `LANG`/`LC_*` and Node's own
 *   `NODE_OPTIONS`, `NODE_EXTRA_CA_CERTS`, `NODE_ENV`;
 * - the OpenTelemetry variables (`OTEL_*`), which configure every process's tracing;
 * - the function settings README's Configuration table documents for every function
 *   (`WORK_MS`, `MAX_EVENT_BYTES`, …: what a manifest's `env` would set on a cluster);
 * - the names the user lists in `LEVELER_PASS_ENV` (comma-separated), passed unchanged;
 * - then the platform's own (`extras`: AMQP_URL, HOST, telemetry paths, …).
 *
 * `LEVELER_<SERVICE>_<VAR>` reaches that Service alone, as `<VAR>`; the Service's manifest `env`
 * and Knative's `K_*`/`PORT` are added by the service runner after this.
 *
 * ```ts
 * childEnv(process.env, { pass: ["DATABASE_URL"], extras: { AMQP_URL: url } });
 * ```
 */

/** Passed by exact name. */
export const PASSED_NAMES: readonly string[] = [
  "PATH",
  "HOME",
  "TMPDIR",
  "TZ",
  "LANG",
  "NODE_OPTIONS",
  "NODE_EXTRA_CA_CERTS",
  "NODE_ENV",
  // Function settings (README, Configuration): read by lib/runtime and the functions.
  "WORK_MS",
  "FAIL_RATE",
  "WORK_SHAPE",
  "MAX_EVENT_BYTES",
  "MAX_BATCH_BYTES",
  "MAX_HEADER_BYTES",
  "HEADERS_TIMEOUT_MS",
  "REQUEST_TIMEOUT_MS",
  "IDEMPOTENCY_TTL_MS",
  "IDEMPOTENCY_MAX_ENTRIES",
  "EVENT_SOURCE",
];

/** Passed by prefix. */
export const PASSED_PREFIXES: readonly string[] = ["OTEL_", "LC_"];

export interface ChildEnvOptions {
  /** Further names to pass unchanged (`LEVELER_PASS_ENV`). */
  pass?: readonly string[];
  /** Set by the platform for this child; wins over anything passed. */
  extras?: Record<string, string>;
}

export function childEnv(
  parent: Record<string, string | undefined>,
  options: ChildEnvOptions = {},
): Record<string, string> {
  const names = new Set([...PASSED_NAMES, ...(options.pass ?? [])]);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parent)) {
    if (value === undefined) continue;
    if (names.has(key) || PASSED_PREFIXES.some((p) => key.startsWith(p))) out[key] = value;
  }
  return { ...out, ...options.extras };
}

/** `LEVELER_PASS_ENV="A,B"` → `["A", "B"]`; a name that is not one is a one-line error. */
export function parsePassEnv(raw: string | undefined): string[] | string {
  const names = (raw ?? "")
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  const bad = names.find((n) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
  return bad === undefined
    ? names
    : `LEVELER_PASS_ENV: ${JSON.stringify(bad)} is not an environment variable name`;
}
