import { runConsumer } from "../consumer-runtime/consumer-main.js";
import { processNotification } from "./process.js";

// Handing a message to an email/SMS/push provider: I/O-shaped work.
runConsumer({
  name: "notification",
  type: "com.example.notification.requested",
  shape: "io",
  workMs: 5,
  process: processNotification,
});
