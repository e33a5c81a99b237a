import { federationAdminRoutes } from './federation.js';
import { mediaAdminRoutes } from './media.js';
import { registerRoutes } from './register.js';
import { registrationTokenRoutes } from './registration-tokens.js';
import { roomRoutes } from './rooms.js';
import { serverRoutes } from './server.js';
import { userRoutes } from './users.js';

/** Every admin route but event reports' (listed apart in server/app.ts). */
export const adminRoutes = [
  ...registerRoutes,
  ...registrationTokenRoutes,
  ...userRoutes,
  ...roomRoutes,
  ...mediaAdminRoutes,
  ...federationAdminRoutes,
  ...serverRoutes,
];
