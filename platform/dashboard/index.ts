/** The load-leveling dashboard on the local platform's status server. */
export { controlAuth, createSessionAuth, sameOrigin, type SessionAuth } from "./auth.js";
export { allowedHosts, hostAllowed, hostGuard } from "./host-guard.js";
export { BurstSender, MAX_BURST, parseBurstRequest } from "./burst.js";
export { createDashboardRoutes, dashboardDeps, type DashboardDeps } from "./routes.js";
