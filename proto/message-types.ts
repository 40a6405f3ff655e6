import type { BandMessage, Event, HostMessage } from './types.js';

/** The body of a host request: `{ case: 'getInfo', value: GetInfoRequest }` and so on. */
export type HostBody = NonNullable<HostMessage['body']>;
/** The body of a band message: a reply of the request's name, an `event` or an `error`. */
export type BandBody = NonNullable<BandMessage['body']>;
/** Every request name; a reply carries the same name. */
export type RequestName = HostBody['case'];
export type RequestOf<K extends RequestName> = Extract<HostBody, { case: K }>['value'];
export type ReplyOf<K extends RequestName> = Extract<BandBody, { case: K }>['value'];
/** What a band reports unasked (request_id 0): `{ case: 'screenChanged', value: ScreenChanged }` and so on. */
export type BandEvent = NonNullable<Event['kind']>;
