import { accountRoutes } from './account.js';
import { deviceRoutes } from './device-management.js';
import { loginRoutes } from './login.js';
import { profileRoutes } from './profile.js';
import { registrationRoutes } from './registration.js';
import { sessionRoutes } from './session.js';

/** Every route of the accounts domain, in the order of the spec's modules. */
export const accountsRoutes = [
  ...registrationRoutes,
  ...loginRoutes,
  ...sessionRoutes,
  ...accountRoutes,
  ...deviceRoutes,
  ...profileRoutes,
];
