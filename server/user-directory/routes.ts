import { Type } from '@sinclair/typebox';
import { route } from '../http/route.js';
import { searchUserDirectory } from './search.js';

/**
 * POST /_matrix/client/v3/user_directory/search — find users by user id or display name.
 * - `limit` defaults to 10 (users.yaml); `limited` says whether more users matched.
 * - Who can be found: user-directory/search.ts (config `user_directory`).
 */
export const userDirectorySearchRoute = route({
  method: 'POST',
  paths: ['/_matrix/client/v3/user_directory/search'],
  auth: 'required',
  schema: {
    body: Type.Object({
      search_term: Type.String(),
      limit: Type.Optional(Type.Integer({ minimum: 0 })),
    }),
  },
  handler: (ctx, req) =>
    searchUserDirectory(ctx, req.requester, {
      searchTerm: req.body.search_term,
      limit: req.body.limit ?? 10,
    }),
});

export const userDirectoryRoutes = [userDirectorySearchRoute];
