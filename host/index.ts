export { BandClient, type BandClientOptions, type BandEvent, type RequestName } from './band-client.js';
export { BandChannel, type CallOptions, type Lane } from './channel.js';
export { DebugLink } from './debug-link.js';
export { BandClientError, BandError, type BandClientErrorCode } from './errors.js';
