/**
 * A stateful stand-in of the Google People API v1 for tests and the local sandbox.
 *
 *   const standin = await startPeopleStandin({ verifyToken, users });
 *   const api = people({ version: 'v1', rootUrl: standin.url + '/' });
 *
 * See standins/people/*.ts for the pieces and test/standins/people.test.ts for usage.
 */
export { startPeopleStandin, SCOPES as PEOPLE_SCOPES } from './people/server.js';
export { seedUserData, UserData } from './people/store.js';
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
} from './people/types.js';
