/**
 * Tool calls are answered from a buffered response: a tool that finds the Google sign-in revoked mid-call
 * (outcome.reauthRequired) then gets HTTP 401 with the challenge instead of a tool error, so the client
 * signs in again rather than silently dropping the connector. (A stateless exchange ends with its result,
 * so buffering only costs mid-call notifications, which these tools don't send.)
 */
import { toNodeHandler, type FetchLikeMcpHandler, type NodeMcpRequestHandler } from '@modelcontextprotocol/node';
import { log } from '../../logging/logger.js';
import { fromAuthInfo } from '../auth-info.js';
import { GOOGLE_REAUTH_REQUIRED, type BearerChallenge } from './bearer.js';

export function bufferedToolCalls(
  handler: FetchLikeMcpHandler,
  challenge: BearerChallenge,
  maxRequestBodySize: number,
): NodeMcpRequestHandler {
  return toNodeHandler(
    {
      fetch: async (request, options) => {
        const response = await handler.fetch(request, options);
        const body = await response.arrayBuffer();
        if (fromAuthInfo(options?.authInfo).outcome.reauthRequired) {
          log().info(
            { event: 'mcp.challenge', reason: 'google_reauth_required_mid_call' },
            'answered 401 with a Bearer challenge',
          );
          return challenge.refusal(GOOGLE_REAUTH_REQUIRED).toResponse();
        }
        return new Response(body, {
          status: response.status,
          statusText: response.statusText,
          headers: response.headers,
        });
      },
    },
    { maxRequestBodySize },
  );
}
