/**
 * The cluster's DNS, stood in for locally. On a cluster a Service `<svc>` in namespace `<ns>` is
 * reached at `http://<svc>.<ns>.svc.cluster.local`, `http://<svc>.<ns>.svc` or `http://<svc>.<ns>`
 * (any port: Knative routes by host); locally it is its front's loopback address. An env value of a
 * Service manifest that is such a URL, naming a Service the platform runs, becomes that Service's
 * local address, keeping the path and query. One rule for every variable; anything else is left
 * as written (another namespace's Service, an outside URL, a typo: the replica then fails as a
 * pod would).
 */

/** `<svc>.<ns>` of every running Service → its local base URL (`http://127.0.0.1:<port>`). */
export type LocalAddresses = ReadonlyMap<string, string>;

const CLUSTER_URL =
  /^http:\/\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\.svc(\.cluster\.local)?)?\.?(:\d+)?(?<rest>[/?#].*)?$/i;

/** The local address `value` stands for, or undefined when it names no running Service. */
export function localAddressFor(value: string, addresses: LocalAddresses): string | undefined {
  const match = CLUSTER_URL.exec(value.trim());
  if (!match) return undefined;
  const base = addresses.get(`${match[1]!.toLowerCase()}.${match[3]!.toLowerCase()}`);
  if (!base) return undefined;
  return base.replace(/\/$/, "") + (match.groups?.rest ?? "");
}

/** A Service's env with every cluster-local URL of a running Service made local. */
export function withLocalAddresses(
  env: Readonly<Record<string, string>>,
  addresses: LocalAddresses,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env))
    out[name] = localAddressFor(value, addresses) ?? value;
  return out;
}
