import { runConsumer } from "../consumer-runtime/consumer-main.js";
import { processReport } from "./process.js";

// Rendering a report: CPU-shaped work, the heaviest of the four.
runConsumer({
  name: "report",
  type: "com.example.report.requested",
  shape: "cpu",
  workMs: 10,
  process: processReport,
});
