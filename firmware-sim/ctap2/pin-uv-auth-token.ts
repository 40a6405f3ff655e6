import { Permission } from '../../proto/ctap2/client-pin.js';

/**
 * This band grants makeCredential, getAssertion, credentialManagement, where a fingerprint sensor is attached
 * (`Ctap2Env.bio`), bioEnrollment (`SENSOR_PERMISSIONS`), largeBlobWrite and authenticatorConfig.
 */
export const SUPPORTED_PERMISSIONS =
  Permission.MAKE_CREDENTIAL |
  Permission.GET_ASSERTION |
  Permission.CREDENTIAL_MANAGEMENT |
  Permission.LARGE_BLOB_WRITE |
  Permission.AUTHENTICATOR_CONFIG;
export const SENSOR_PERMISSIONS = Permission.BIO_ENROLLMENT;

/** §6.5.2.1 defaults: a token must be first used within 30 s of issue and lives at most 10 minutes. */
export const INITIAL_USAGE_TIME_LIMIT_MS = 30_000;
export const MAX_USAGE_TIME_PERIOD_MS = 600_000;

/**
 * The state shared by every protocol's pinUvAuthToken (CTAP 2.1 §6.5.2.4). The user-present flag of the spec is
 * never set here: neither PIN entry nor the band's passive wrist check is a gesture, so makeCredential and
 * getAssertion always collect presence themselves. `epoch` ties the token to the FIDO2 state it was issued under;
 * after a wipe or reset the epoch differs and the token is dead even though this object still exists.
 */
export class PinUvAuthTokenState {
  private inUse = false;
  private permissions = 0;
  private rpId: string | undefined;
  private userVerified = false;
  private issuedAt = 0;
  private used = false;
  private epoch = '';

  begin(now: number, epoch: string, permissions: number, rpId: string | undefined): void {
    this.inUse = true;
    this.permissions = permissions;
    this.rpId = rpId;
    this.userVerified = true;
    this.issuedAt = now;
    this.used = false;
    this.epoch = epoch;
  }

  stop(): void {
    this.inUse = false;
    this.permissions = 0;
    this.rpId = undefined;
    this.userVerified = false;
    this.used = false;
  }

  /** In use, not expired, and issued under the current FIDO2 state. Expiry stops the token as a side effect. */
  usable(now: number, epoch: string): boolean {
    if (!this.inUse) return false;
    const age = now - this.issuedAt;
    const expired = age < 0 || age >= MAX_USAGE_TIME_PERIOD_MS || (!this.used && age >= INITIAL_USAGE_TIME_LIMIT_MS);
    if (expired || epoch !== this.epoch) {
      this.stop();
      return false;
    }
    return true;
  }

  markUsed(): void {
    this.used = true;
  }

  hasPermission(permission: number): boolean {
    return (this.permissions & permission) === permission;
  }

  permissionsRpId(): string | undefined {
    return this.rpId;
  }

  bindRpId(rpId: string): void {
    this.rpId ??= rpId;
  }

  userVerifiedFlag(): boolean {
    return this.userVerified;
  }

  /** §6.1.2 step 14.4 / §6.2.2 step 9.4: presence was collected, so the cached UV and mc/ga permissions are consumed. */
  consumeAfterUserPresence(): void {
    if (!this.inUse) return;
    this.userVerified = false;
    this.permissions &= Permission.LARGE_BLOB_WRITE;
  }
}
