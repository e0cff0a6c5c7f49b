/**
 * A valid payload for each event type (what `schemas/*.json` require), the n-th of a series whose
 * ids start with `prefix`: for demonstrations (the dashboard's burst) and benchmarks. A test
 * (platform/dashboard/burst.test.ts) checks every schema has one and that each validates.
 */
export const samples: Readonly<Record<string, (prefix: string, n: number) => unknown>> = {
  "com.example.order.created": (id, n) => ({
    orderId: `${id}-o${n}`,
    currency: "EUR",
    items: [{ sku: `SKU-${n % 50}`, quantity: 1 + (n % 3), unitPrice: 9.5 }],
  }),
  "com.example.payment.requested": (id, n) => ({
    paymentId: `${id}-p${n}`,
    orderId: `${id}-o${n}`,
    amount: 10 + (n % 90),
    currency: "EUR",
  }),
  "com.example.notification.requested": (id, n) => ({
    notificationId: `${id}-n${n}`,
    channel: ["email", "sms", "push"][n % 3],
    recipient: `user${n % 1000}@example.com`,
  }),
  "com.example.report.requested": (id, n) => ({
    reportId: `${id}-r${n}`,
    period: ["daily", "weekly", "monthly"][n % 3],
  }),
};

export function sampleData(type: string, prefix: string, n: number): unknown {
  const make = samples[type];
  if (!make) throw new Error(`no sample data for ${type}`);
  return make(prefix, n);
}
