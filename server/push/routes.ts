import { Type } from '@sinclair/typebox';
import { route } from '../http/route.js';
import {
  deletePushRule,
  setPushRule,
  setPushRuleActions,
  setPushRuleEnabled,
} from './rule-changes.js';
import { getPushRule, getPushRules } from './rules.js';
import { PushActionsBodySchema, PushEnabledBodySchema, PushRuleBodySchema } from './user-rules.js';

const RuleParams = Type.Object({ kind: Type.String(), ruleId: Type.String() });
const Position = Type.Object({
  before: Type.Optional(Type.String()),
  after: Type.Optional(Type.String()),
});

/** GET /_matrix/client/v3/pushrules/ — every push rule of the user, under `global`. */
export const getAllPushRules = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/pushrules/'],
  auth: 'required',
  handler: async (ctx, req) => ({ global: await getPushRules(ctx, req.requester.userId) }),
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
    enabled: (await getPushRule(ctx, req.requester.userId, req.params.kind, req.params.ruleId))
      .enabled,
  }),
});

/** GET /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions */
export const getPushRuleActions = route({
  method: 'GET',
  paths: ['/_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions'],
  auth: 'required',
  schema: { params: RuleParams },
  handler: async (ctx, req) => ({
    actions: (await getPushRule(ctx, req.requester.userId, req.params.kind, req.params.ruleId))
      .actions,
  }),
});

/**
 * PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId} — add or replace a user-defined rule.
 * - `before` / `after` place it relative to another user-defined rule of the kind.
 * - Ids starting with "." (server-default) are refused with 400 M_INVALID_PARAM.
 */
export const putPushRule = route({
  method: 'PUT',
  paths: ['/_matrix/client/v3/pushrules/global/{kind}/{ruleId}'],
  auth: 'required',
  schema: { params: RuleParams, query: Position, body: PushRuleBodySchema },
  handler: async (ctx, req) =>
    setPushRule(ctx, req.requester.userId, { ...req.params, ...req.query, body: req.body }),
});

/** DELETE /_matrix/client/v3/pushrules/global/{kind}/{ruleId} — remove a user-defined rule. */
export const deleteOnePushRule = route({
  method: 'DELETE',
  paths: ['/_matrix/client/v3/pushrules/global/{kind}/{ruleId}'],
  auth: 'required',
  schema: { params: RuleParams },
  handler: async (ctx, req) => deletePushRule(ctx, req.requester.userId, req.params),
});

/** PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled — server-default rules too. */
export const putPushRuleEnabled = route({
  method: 'PUT',
  paths: ['/_matrix/client/v3/pushrules/global/{kind}/{ruleId}/enabled'],
  auth: 'required',
  schema: { params: RuleParams, body: PushEnabledBodySchema },
  handler: async (ctx, req) =>
    setPushRuleEnabled(ctx, req.requester.userId, { ...req.params, enabled: req.body.enabled }),
});

/** PUT /_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions — server-default rules too. */
export const putPushRuleActions = route({
  method: 'PUT',
  paths: ['/_matrix/client/v3/pushrules/global/{kind}/{ruleId}/actions'],
  auth: 'required',
  schema: { params: RuleParams, body: PushActionsBodySchema },
  handler: async (ctx, req) =>
    setPushRuleActions(ctx, req.requester.userId, { ...req.params, actions: req.body.actions }),
});

export const pushRoutes = [
  putPushRule,
  deleteOnePushRule,
  putPushRuleEnabled,
  putPushRuleActions,
  getAllPushRules,
  getGlobalPushRules,
  getOnePushRule,
  getPushRuleEnabled,
  getPushRuleActions,
];
