export * from './codec.js';
export type * from './types.js';
export {
  AuthenticationReasonValues,
  BandStateValues,
  ButtonMotionValues,
  ButtonValues,
  CapabilityValues,
  ErrorCodeValues,
  ScreenValues,
} from './types.js';
export type * from './message-types.js';
export * from './ctap2/index.js';
export * from './identifiers.js';
export * from './ctaphid.js';
export * from './limits.js';
export * from './band-states.js';
