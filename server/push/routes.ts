import { Type } from '@sinclair/typebox';
import { route } from '../http/route.js';
import { getPushRule, getPushRules } from './rules.js';

const RuleParams = Type.Object({ kind: Type.String(), ruleId: Type.String() });

/** GET /_matrix/client/v3/pushrules/ — every push rule of the user, under `global`. */
export const getAllPushRules = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/pushrules/'],
  auth: 'required',
  handler: async (ctx, req) => ({ global: getPushRules(ctx, req.requester.userId) }),
});

/** GET /_matrix/client/v3/pushrules/global/ — the global ruleset. */
export const getGlobalPushRules = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/pushrules/global/'],
  auth: 'required',
  handler: async (ctx, req) => getPushRules(ctx, req.requester.userId),
});

/** GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId} — one rule. */
export const getOnePushRule = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/pushrules/global/{kind}/{ruleId}'],
  auth: 'required',
  schema: { params: RuleParams },
  handler: async (ctx, req) =>
    getPushRule(ctx, req.requester.userId, req.params.kind, req.params.ruleId),
});

/** GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled */
export const getPushRuleEnabled = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled'],
  auth: 'required',
  schema: { params: RuleParams },
  handler: async (ctx, req) => ({
    enabled: getPushRule(ctx, req.requester.userId, req.params.kind, req.params.ruleId).enabled,
  }),
});

/** GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions */
export const getPushRuleActions = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions'],
  auth: 'required',
  schema: { params: RuleParams },
  handler: async (ctx, req) => ({
    actions: getPushRule(ctx, req.requester.userId, req.params.kind, req.params.ruleId).actions,
  }),
});

export const pushRoutes = [
  getAllPushRules,
  getGlobalPushRules,
  getOnePushRule,
  getPushRuleEnabled,
  getPushRuleActions,
];
