/**
 * The OpenTelemetry resource of a process (traces and metrics alike): what leveler knows (service
 * name and version, Knative revision, pid), overridden by the standard variables
 * `OTEL_RESOURCE_ATTRIBUTES` (`key=value,…`, percent-encoded) and `OTEL_SERVICE_NAME`, which the
 * SDK's env detector reads. Only that detector runs: the host and process ones would probe the
 * machine at every cold start.
 */
import { detectResources, envDetector, resourceFromAttributes } from "@opentelemetry/resources";
import type { Resource } from "@opentelemetry/resources";
import type { Attributes } from "@opentelemetry/api";

export function processResource(known: Attributes): Resource {
  return resourceFromAttributes(known).merge(detectResources({ detectors: [envDetector] }));
}
