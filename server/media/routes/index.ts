import { authedContentRepoRoutes } from './authed-content-repo.js';
import { contentRepoRoutes } from './content-repo.js';

/** The media store's routes (thumbnails and previews register their own). */
export const mediaRoutes = [...contentRepoRoutes, ...authedContentRepoRoutes];
