import { DirectoryError, type InvariantRule } from './errors.js';
import { findViolations } from './invariants.js';
import type { DirectorySnapshot, DirectoryState } from './model.js';

export const DIRECTORY_FILE_FORMAT = 'band-stack/directory';
export const DIRECTORY_FILE_VERSION = 1;

/** The on-disk document: a format tag and version first, so a foreign or future file is recognised as such. */
export function encodeDirectoryFile(s: DirectorySnapshot): string {
  const doc = {
    format: DIRECTORY_FILE_FORMAT,
    version: DIRECTORY_FILE_VERSION,
    policy: s.policy,
    users: s.users,
    bands: s.bands,
    associations: s.associations,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * Parses and checks a directory file. Anything unexpected is CORRUPT naming the file and the problem: a
 * directory is never silently reset, because an empty one would quietly drop every user↔band association.
 */
export function decodeDirectoryFile(text: string, path: string): DirectoryState {
  const corrupt = (what: string, cause?: unknown, rule?: InvariantRule) =>
    new DirectoryError(
      'CORRUPT',
      `Directory file ${path} is unusable: ${what}. It was left untouched; restore it from a backup, ` +
        `or move it aside to start an empty directory.`,
      { path, cause, ...(rule ? { rule } : {}) },
    );

  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (cause) {
    const size = text.length === 0 ? 'it is empty' : `it is not valid JSON (${(cause as Error).message})`;
    throw corrupt(`${size}; a truncated write or a foreign file`, cause);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw corrupt('expected a JSON object at the top level');
  const record = doc as Record<string, unknown>;
  if (record.format !== DIRECTORY_FILE_FORMAT)
    throw corrupt(`expected "format": "${DIRECTORY_FILE_FORMAT}", found ${JSON.stringify(record.format)}`);
  if (record.version !== DIRECTORY_FILE_VERSION)
    throw corrupt(
      `expected "version": ${DIRECTORY_FILE_VERSION}, found ${JSON.stringify(record.version)}` +
        (typeof record.version === 'number' && record.version > DIRECTORY_FILE_VERSION
          ? ' (written by a newer band-stack; upgrade this one)'
          : ''),
    );

  const state = { users: record.users, bands: record.bands, associations: record.associations, policy: record.policy };
  const [first] = findViolations(state);
  if (first) {
    throw corrupt(`it breaks the rule "${first.rule}": ${first.detail}`, undefined, first.rule);
  }
  // Fresh from JSON.parse, so nobody else holds it.
  return state as DirectoryState;
}
