// The authenticator's typed failure lives with the wire contract, where the extension modules use it too.
export { CtapFailure, fail } from '../../proto/ctap2/ctap-failure.js';
export { CtapStatus } from '../../proto/ctap2/status.js';
