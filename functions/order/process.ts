import type { CloudEvent } from "cloudevents";

interface OrderCreated {
  orderId: string;
  currency: string;
  items: { sku: string; quantity: number; unitPrice: number }[];
}

/** Prices the order: the total in minor units avoids floating-point cents. */
export function processOrder(event: CloudEvent<unknown>): Record<string, unknown> {
  const order = event.data as OrderCreated;
  const totalMinor = order.items.reduce(
    (sum, item) => sum + item.quantity * Math.round(item.unitPrice * 100),
    0,
  );
  return {
    orderId: order.orderId,
    currency: order.currency,
    itemCount: order.items.length,
    total: totalMinor / 100,
  };
}
