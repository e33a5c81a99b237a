import { accountsRoutes } from './accounts/routes/index.js';
import { adminRoutes } from './admin/routes/index.js';
import { eventReportRoutes } from './admin/routes/event-reports.js';
import type { Ctx } from './context.js';
import { discoveryRoutes } from './discovery/routes/index.js';
import { keyRoutes } from './federation/keys/routes.js';
import { readRoutes } from './federation/routes/reads.js';
import { versionRoutes } from './federation/routes/version.js';
import { inviteRoutes } from './federation/routes/invites.js';
import { knockRoutes } from './federation/routes/knocks.js';
import { leaveRoutes } from './federation/routes/leaves.js';
import { joinRoutes } from './federation/routes/joins.js';
import { queryDirectoryRoutes } from './federation/routes/query-directory.js';
import { transactionRoutes } from './federation/routes/transactions.js';
import { missingEventsRoutes } from './federation/routes/missing-events.js';
import { userKeysRoutes } from './federation/routes/user-keys.js';
import { federationPauseRoutes } from './federation/routes/pause.js';
import { reachabilityRoutes } from './net/reachability/routes.js';
import { voipRoutes } from './voip/routes.js';
import { portMappingRoutes } from './net/upnp/routes.js';
import { certificateRoutes } from './net/acme/routes.js';
import { createHttpApp, type HttpApp } from './http/http-app.js';
import type { Route } from './http/route.js';
import { directoryRoutes } from './rooms/routes/directory.js';
import { hierarchyRoutes } from './rooms/routes/hierarchy.js';
import { reportRoutes } from './rooms/routes/report.js';
import { upgradeRoutes } from './rooms/routes/upgrades.js';
import { presenceRoutes } from './presence/routes.js';
import { previewRoutes } from './media/preview/routes.js';
import { pushRoutes } from './push/routes.js';
import { relationsRoutes } from './relations/routes.js';
import { searchRoutes } from './search/routes.js';
import { roomsRoutes } from './rooms/routes/index.js';
import { membershipRoutes } from './rooms/routes/membership.js';
import { timelineRoutes } from './rooms/routes/timeline.js';
import { syncRoutes } from './sync/routes.js';
import { toDeviceRoutes } from './to-device/routes.js';
import { e2eeKeysRoutes } from './e2ee/keys/routes.js';
import { keyBackupRoutes } from './e2ee/backup/routes.js';
import { dehydratedDeviceRoutes } from './e2ee/dehydrated/routes.js';
import { crossSigningRoutes } from './e2ee/cross-signing/routes.js';
import { userDirectoryRoutes } from './user-directory/routes.js';
import { userdataRoutes } from './userdata/routes.js';
import { setupRoutes } from './setup/routes.js';
import { webuiRoutes } from './webui/routes.js';
import { mediaRoutes } from './media/routes/index.js';
import { thumbnailRoutes } from './media/thumbnails/routes.js';
import { federationDownloadRoutes } from './media/routes/federation-download.js';

/** Every route Hearth serves, grouped by domain (explicit lists, no autoloading). */
export const ALL_ROUTES: Route[] = [
  ...discoveryRoutes,
  ...accountsRoutes,
  ...adminRoutes,
  ...roomsRoutes,
  ...membershipRoutes,
  ...timelineRoutes,
  ...relationsRoutes,
  ...directoryRoutes,
  ...upgradeRoutes,
  ...reportRoutes,
  ...hierarchyRoutes,
  ...eventReportRoutes,
  ...userdataRoutes,
  ...syncRoutes,
  ...searchRoutes,
  ...userDirectoryRoutes,
  ...toDeviceRoutes,
  ...e2eeKeysRoutes,
  ...keyBackupRoutes,
  ...dehydratedDeviceRoutes,
  ...crossSigningRoutes,
  ...presenceRoutes,
  ...previewRoutes,
  ...pushRoutes,
  ...keyRoutes,
  ...versionRoutes,
  ...inviteRoutes,
  ...leaveRoutes,
  ...knockRoutes,
  ...joinRoutes,
  ...queryDirectoryRoutes,
  ...transactionRoutes,
  ...missingEventsRoutes,
  ...readRoutes,
  ...userKeysRoutes,
  ...mediaRoutes,
  ...thumbnailRoutes,
  ...federationDownloadRoutes,
  ...webuiRoutes,
  ...setupRoutes,
  ...certificateRoutes,
  ...federationPauseRoutes,
  ...reachabilityRoutes,
  ...voipRoutes,
  ...portMappingRoutes,
];

/**
 * Builds the HTTP app with every domain registered. It never listens: the CLI binds it to
 * each configured listener, the Electron utility process will do the same, and tests call
 * it through `inject`.
 */
export function buildApp(ctx: Ctx): HttpApp {
  return createHttpApp(ctx, ALL_ROUTES);
}
