/** credProtect (CTAP 2.1 §12.1). */
export const CRED_PROTECT = 'credProtect';
