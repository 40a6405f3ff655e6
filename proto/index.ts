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
