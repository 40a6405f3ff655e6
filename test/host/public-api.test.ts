import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The package's root export ("band-stack") is what a host application reads first, so its list is reviewed:
 * a name added or removed here is a decision, not an accident. Every name carries a doc comment.
 */
const entry = fileURLToPath(new URL('../../host/index.ts', import.meta.url));

function rootExports(): { name: string; kind: 'value' | 'type'; documented: boolean }[] {
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
  return checker.getExportsOfModule(module).map((symbol) => {
    const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
    const isValue = (target.flags & ts.SymbolFlags.Value) !== 0;
    return {
      name: symbol.name,
      kind: isValue ? 'value' : 'type',
      documented: target.getDocumentationComment(checker).length > 0,
    };
  });
}

const REVIEWED = {
  values: [
    'AuthenticationFailedError',
    'BandClient',
    'BandClientError',
    'BandError',
    'BandWebAuthn',
    'BioEnrollmentError',
    'ConsoleUser',
    'CtapError',
    'DirectoryAdmin',
    'DirectoryError',
    'FileDirectory',
    'FileProgressStore',
    'Fido2Client',
    'Fido2ProtocolError',
    'LargeBlobError',
    'MemoryDirectory',
    'MemoryProgressStore',
    'ReEnrollment',
    'ReEnrollmentError',
    'RelyingPartyError',
    'SimulatedUser',
    'TransportError',
    'WebAuthnRelyingParty',
    'authenticate',
    'deleteUserData',
    'enroll',
    'openBand',
    'registerKey',
    'userProperties',
  ],
  types: [
    'AssertionResult',
    'Association',
    'AttestationRefusal',
    'AttestationRequirement',
    'BandClientOptions',
    'HeartbeatOptions',
    'RegisterKeyProgress',
    'BandEvent',
    'BandEventsOptions',
    'BandRegistration',
    'BandWebAuthnOptions',
    'CallOptions',
    'DeviceId',
    'Directory',
    'DirectoryBand',
    'DirectoryDraft',
    'DirectorySnapshot',
    'DirectoryUser',
    'EnrollProgress',
    'GetAssertionRequest',
    'Instruction',
    'MakeCredentialRequest',
    'MakeCredentialResult',
    'OpenBandOptions',
    'Policy',
    'ProgressStore',
    'ReEnrollmentDependencies',
    'ReEnrollmentProgress',
    'ReEnrollmentResult',
    'ReEnrollmentRun',
    'ReEnrollmentStep',
    'RegisterKeyRequest',
    'RegisteredCredential',
    'RelyingParty',
    'UserInteraction',
    'UserPropertiesRow',
    'WebAuthnRelyingPartyOptions',
  ],
};

describe('the root export (band-stack)', () => {
  const exports = rootExports();

  it('is the reviewed list of names', () => {
    const sorted = (kind: 'value' | 'type') =>
      exports
        .filter((e) => e.kind === kind)
        .map((e) => e.name)
        .sort((a, b) => a.localeCompare(b, 'en'));
    expect({ values: sorted('value'), types: sorted('type') }).toEqual({
      values: [...REVIEWED.values].sort((a, b) => a.localeCompare(b, 'en')),
      types: [...REVIEWED.types].sort((a, b) => a.localeCompare(b, 'en')),
    });
  });

  it('gives every name a doc comment', () => {
    expect(exports.filter((e) => !e.documented).map((e) => e.name)).toEqual([]);
  });

  it('leaves the CLI, the demo and file-format internals out', async () => {
    const root: Record<string, unknown> = await import('../../host/index.js');
    for (const internal of [
      'writeFileAtomic',
      'copyDirectoryState',
      'encodeCanonical',
      'buildClientData',
      'renderUserPropertiesTable',
      'disconnect',
      'suspend',
      'activate',
      'EventWaiter',
      'runConformance',
    ]) {
      expect(root[internal], internal).toBeUndefined();
    }
  });
});
