import type * as sdk from 'matrix-js-sdk';

/** A matrix-js-sdk logger that drops everything: keeps the SDK's request log out of test output. */
export const quietSdkLogger: NonNullable<sdk.ICreateClientOpts['logger']> = {
  trace: () => {},
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  getChild: () => quietSdkLogger,
};
