import type { BandMessage, HostMessage } from './types.js';

/** The body of a host request: `{ case: 'getInfo', value: GetInfoRequest }` and so on. */
export type HostBody = NonNullable<HostMessage['body']>;
/** The body of a band message: a reply of the request's name, an `event` or an `error`. */
export type BandBody = NonNullable<BandMessage['body']>;
/** Every request name; a reply carries the same name. */
export type RequestName = HostBody['case'];
export type RequestOf<K extends RequestName> = Extract<HostBody, { case: K }>['value'];
export type ReplyOf<K extends RequestName> = Extract<BandBody, { case: K }>['value'];
