/**
 * A stateful stand-in of the Google People API v1 for tests and the local sandbox.
 *
 *   const standin = await startPeopleStandin({ verifyToken, users });
 *   const api = people({ version: 'v1', rootUrl: standin.url + '/' });
 *
 * See test/support/people-standin/*.ts for the pieces and test/support/people-standin.test.ts for usage.
 */
export { startPeopleStandin, SCOPES as PEOPLE_SCOPES } from './people-standin/server.js';
export { seedUserData, UserData } from './people-standin/store.js';
export type {
  FailNextOptions,
  FaultStatus,
  PeopleMethodId,
  PeopleStandin,
  PeopleStandinIdentity,
  PeopleStandinOptions,
  PeopleStandinSnapshot,
  PeopleStandinUser,
  RecordedRequest,
} from './people-standin/types.js';
