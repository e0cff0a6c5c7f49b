/**
 * Bucket boundaries for a histogram of durations in seconds: the OpenTelemetry semantic
 * conventions' advice for `http.server.request.duration` and `messaging.process.duration`. Without
 * them the SDK uses its default boundaries (0, 5, 10, 25, ... 10000), made for milliseconds: every
 * event that takes under five seconds would fall in one bucket, and a quantile read from them
 * would say nothing.
 */
export const SECONDS_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
];
