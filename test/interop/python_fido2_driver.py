"""Drives the band (bandsim --udp-hid) with python-fido2 0.9.x, an independent CTAP2 client.

usage: python_fido2_driver.py HOST PORT main|reset|cancel|extensions|u2f|config|bio|bio-enroll|largeblobs|largeblobs-read|
       enterprise ROOT_PEM

ROOT_PEM (enterprise): the band model's root CA (bandsim --attestation-root-out), which the attestation chain must
end at.

Prints one JSON object: what each step saw. The bio-enroll scenario also needs the wearer: it prints
"ACT {json}" lines for what the simulated person must do while a request waits (a touch on the sensor), and
"ASK {json}" lines for what they must do before it goes on, then reads one line from stdin when that is done. The vitest side (python-fido2.test.ts) asserts on it; a step that
raises is reported as {"error": "..."} under its name so one failure does not hide the others' results.
"""
import base64
import inspect
import json
import os
import sys
import threading
import traceback
import zlib

from cryptography import x509
from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import serialization
from fido2.attestation import PackedAttestation
from fido2.attestation.base import AttestationType, verify_x509_chain
from fido2.ctap import CtapError
from fido2.ctap2 import AttestationObject, Ctap2
from fido2.ctap2.base import args
from fido2.ctap2.config import Config
from fido2.ctap2.bio import CaptureError, FPBioEnrollment
from fido2.ctap2.blob import LargeBlobs, _lb_unpack
from fido2.ctap2.extensions import (
    CredBlobExtension,
    HmacSecretExtension,
    LargeBlobKeyExtension,
    MinPinLengthExtension,
)
from fido2.ctap2.pin import ClientPin, PinProtocolV1, PinProtocolV2
from fido2.utils import sha256

from udp_hid_connection import open_udp_device

RP = {"id": "interop.example", "name": "Interop RP"}
ES256 = [{"type": "public-key", "alg": -7}]


def user(n):
    return {"id": ("python-user-%d" % n).encode(), "name": "user%d@interop.example" % n, "displayName": "User %d" % n}


# CTAP 2.0's PIN_REQUIRED is CTAP 2.1's PUAT_REQUIRED; python-fido2 0.9 and 1.x name it differently.
RENAMED = {"PIN_REQUIRED": "PUAT_REQUIRED"}


def ctap_error_name(e):
    try:
        name = e.code.name
    except AttributeError:
        return str(e.code)
    return RENAMED.get(name, name)


def expect_ctap_error(fn):
    try:
        fn()
    except CtapError as e:
        return ctap_error_name(e)
    return "no error"


def make(ctap, n, rk=False, uv=False, pin_param=None, protocol=None):
    cdh = sha256(os.urandom(32))
    options = {}
    if rk:
        options["rk"] = True
    if uv:
        options["uv"] = True
    att = ctap.make_credential(
        cdh,
        RP,
        user(n),
        ES256,
        options=options or None,
        pin_uv_param=pin_param(cdh) if pin_param else None,
        pin_uv_protocol=protocol.VERSION if protocol else None,
    )
    # Packed attestation: with x5c (batch, BASIC) python-fido2 checks the signature with the first certificate's key
    # and the certificate's WebAuthn §8.2.1 fields; without (SELF) with the credential's own public key.
    # (0.9 names the statement att_statement and returns a tuple; 1.x says att_stmt and returns a result object.)
    statement = att.att_stmt if hasattr(att, "att_stmt") else att.att_statement
    verified = PackedAttestation().verify(statement, att.auth_data, cdh)
    att_type = verified.attestation_type if hasattr(verified, "attestation_type") else verified[0]
    trust_path = (verified.trust_path if hasattr(verified, "trust_path") else verified[1]) or []
    issuer = x509.load_der_x509_certificate(trust_path[0], default_backend()).issuer.rfc4514_string() if trust_path else None
    cred = att.auth_data.credential_data
    return att, cred, {
        "fmt": att.fmt,
        "attestationType": att_type.name,
        "trustPathLength": len(trust_path),
        "certificateIssuer": issuer,
        "flags": att.auth_data.flags,
        "counter": att.auth_data.counter,
        "rpIdHashOk": att.auth_data.rp_id_hash == sha256(RP["id"].encode()),
        "credentialIdLength": len(cred.credential_id),
        "alg": cred.public_key[3],
        "aaguid": cred.aaguid.hex(),
    }


def assert_with(ctap, cred, allow=True, options=None):
    cdh = sha256(os.urandom(32))
    allow_list = [{"type": "public-key", "id": cred.credential_id}] if allow else None
    resp = ctap.get_assertion(RP["id"], cdh, allow_list, options=options)
    # The signature over authData || clientDataHash, checked with the public key from the attestation.
    resp.verify(cdh, cred.public_key)
    return resp, {
        "verified": True,
        "credentialIdMatches": resp.credential["id"] == cred.credential_id,
        "flags": resp.auth_data.flags,
        "counter": resp.auth_data.counter,
        "user": {k: (v.decode() if isinstance(v, bytes) else v) for k, v in (resp.user or {}).items()},
        "numberOfCredentials": resp.number_of_credentials,
    }


def step(results, name, fn):
    try:
        results[name] = fn()
    except Exception as e:  # report and keep going
        results[name] = {"error": "%s: %s" % (type(e).__name__, e), "trace": traceback.format_exc(limit=3)}


def main_scenario(dev, results):
    results["init"] = {
        "ctaphidVersion": dev.version,
        "deviceVersion": list(dev.device_version),
        "capabilities": dev.capabilities,
    }
    step(results, "ping", lambda: {"echoed": dev.ping(bytes(range(256)) * 4) == bytes(range(256)) * 4})
    ctap = Ctap2(dev)  # strict_cbor: every response must be canonical CBOR
    info = ctap.get_info()
    results["getInfo"] = {
        "versions": info.versions,
        "extensions": info.extensions,
        "aaguid": info.aaguid.hex(),
        "options": info.options,
        "maxMsgSize": info.max_msg_size,
        "pinUvProtocols": info.pin_uv_protocols,
        "maxCredentialIdLength": info.max_cred_id_length,
        "algorithms": info.algorithms,
        "transports": info.transports,
    }

    state = {}

    def non_rk():
        _, cred, out = make(ctap, 1)
        state["non_rk"] = cred
        return out

    def rk():
        _, cred, out = make(ctap, 2, rk=True, uv=True)
        state["rk"] = cred
        return out

    step(results, "makeCredentialNonRk", non_rk)
    step(results, "makeCredentialRkWithoutUv", lambda: {"status": expect_ctap_error(lambda: make(ctap, 3, rk=True))})
    step(results, "makeCredentialRk", rk)
    step(results, "getAssertionAllowList", lambda: assert_with(ctap, state["non_rk"])[1])
    step(results, "getAssertionDiscoverable", lambda: assert_with(ctap, state["rk"], allow=False)[1])
    step(results, "getAssertionUnknownRp", lambda: {
        "status": expect_ctap_error(lambda: ctap.get_assertion("unknown.example", sha256(b"x")))
    })

    def pin_flow():
        out = {}
        client_pin = ClientPin(ctap)  # picks protocol 2, the first both sides know
        out["protocol"] = client_pin.protocol.VERSION
        client_pin.set_pin("4321")
        info = ctap.get_info()
        out["clientPinAfterSet"] = info.options.get("clientPin")
        out["retries"] = client_pin.get_pin_retries()[0]
        out["wrongPin"] = expect_ctap_error(lambda: client_pin.get_pin_token("9999", ClientPin.PERMISSION.MAKE_CREDENTIAL, RP["id"]))
        out["retriesAfterWrong"] = client_pin.get_pin_retries()[0]
        for name, protocol in (("v2", PinProtocolV2()), ("v1", PinProtocolV1())):
            cp = ClientPin(ctap, protocol)
            token = cp.get_pin_token("4321", ClientPin.PERMISSION.MAKE_CREDENTIAL | ClientPin.PERMISSION.GET_ASSERTION, RP["id"])
            _, cred, made = make(ctap, 10 + protocol.VERSION, rk=True, pin_param=lambda cdh: protocol.authenticate(token, cdh), protocol=protocol)
            out["makeCredential_" + name] = made
            cdh = sha256(os.urandom(32))
            # The mc/ga token was consumed by the makeCredential touch (§6.5.2): a fresh one for the assertion.
            token = cp.get_pin_token("4321", ClientPin.PERMISSION.GET_ASSERTION, RP["id"])
            resp = ctap.get_assertion(
                RP["id"], cdh, [{"type": "public-key", "id": cred.credential_id}],
                pin_uv_param=protocol.authenticate(token, cdh), pin_uv_protocol=protocol.VERSION,
            )
            resp.verify(cdh, cred.public_key)
            out["getAssertion_" + name] = {"verified": True, "flags": resp.auth_data.flags}
        out["badPinUvAuthParam"] = expect_ctap_error(lambda: make(
            ctap, 20, pin_param=lambda cdh: b"\0" * 32, protocol=PinProtocolV2()))
        cp = ClientPin(ctap)
        cp.change_pin("4321", "87654321")
        out["changedPinWorks"] = len(cp.get_pin_token("87654321", ClientPin.PERMISSION.GET_ASSERTION, RP["id"])) > 0
        return out

    step(results, "clientPin", pin_flow)


def reset_scenario(dev, results):
    ctap = Ctap2(dev)
    _, cred, made = make(ctap, 1, rk=True, uv=True)
    results["before"] = made
    ClientPin(ctap).set_pin("4321")
    results["clientPinBefore"] = ctap.get_info().options.get("clientPin")
    ctap.reset()
    results["reset"] = "ok"
    results["clientPinAfter"] = ctap.get_info().options.get("clientPin")
    results["discoverableAfter"] = expect_ctap_error(lambda: ctap.get_assertion(RP["id"], sha256(b"after reset")))
    results["allowListAfter"] = expect_ctap_error(
        lambda: ctap.get_assertion(RP["id"], sha256(b"after reset"), [{"type": "public-key", "id": cred.credential_id}]))


def cancel_scenario(dev, results):
    """A band without auto-presence waits for its top button; python-fido2 cancels on the first UPNEEDED."""
    ctap = Ctap2(dev)
    event = threading.Event()
    keepalives = []

    def on_keepalive(status):
        keepalives.append(int(status))
        event.set()

    results["makeCredential"] = expect_ctap_error(
        lambda: ctap.make_credential(sha256(b"cancel"), RP, user(1), ES256, event=event, on_keepalive=on_keepalive))
    results["keepalives"] = keepalives
    results["afterwards"] = ctap.get_info().versions


def extension_inputs(pairs):
    """Authenticator extension inputs built by python-fido2's own extension classes."""
    inputs = {}
    for ext, client_inputs in pairs:
        value = ext.process_create_input(client_inputs)
        if value is not None:
            inputs[ext.NAME] = value
    return inputs


def extensions_scenario(dev, results):
    ctap = Ctap2(dev)
    blob_ext = CredBlobExtension(ctap)
    min_pin_ext = MinPinLengthExtension(ctap)
    hmac_ext = HmacSecretExtension(ctap, PinProtocolV2())
    results["getInfo"] = {
        "extensions": ctap.info.extensions,
        "maxCredBlobLength": ctap.info.max_cred_blob_length,
        "minPinLength": ctap.info.min_pin_length,
        "supported": {e.NAME: e.is_supported() for e in (blob_ext, min_pin_ext, hmac_ext)},
    }
    blob = bytes(range(1, 33))
    state = {}

    def create(n, rk, blob_value):
        cdh = sha256(os.urandom(32))
        sent = extension_inputs(
            [
                (blob_ext, {"credBlob": blob_value}),
                (min_pin_ext, {"minPinLength": True}),
                (hmac_ext, {"hmacCreateSecret": True}),
            ]
        )
        att = ctap.make_credential(
            cdh, RP, user(n), ES256, extensions=sent, options={"rk": True, "uv": True} if rk else None
        )
        return att, {
            "sent": sorted(sent),
            "outputs": dict(att.auth_data.extensions or {}),
            "hmacCreateSecret": hmac_ext.process_create_output(att.auth_data),
            "extensionDataFlag": bool(att.auth_data.flags & 0x80),
        }

    def create_rk():
        att, seen = create(1, True, blob)
        state["rk"] = att.auth_data.credential_data
        return seen

    def create_non_rk():
        att, seen = create(2, False, blob)
        state["nonRk"] = att.auth_data.credential_data
        return seen

    def get(cred, allow):
        cdh = sha256(os.urandom(32))
        sent = {
            blob_ext.NAME: blob_ext.process_get_input({"getCredBlob": True}),
            hmac_ext.NAME: hmac_ext.process_get_input({"hmacGetSecret": {"salt1": b"\x11" * 32, "salt2": b"\x22" * 32}}),
        }
        assertion = ctap.get_assertion(
            RP["id"],
            cdh,
            allow_list=[{"type": "public-key", "id": cred.credential_id}] if allow else None,
            extensions=sent,
        )
        assertion.verify(cdh, cred.public_key)  # raises if the signature over authData (with extensions) is wrong
        secrets = hmac_ext.process_get_output(assertion.auth_data)["hmacGetSecret"]
        return {
            "sent": sorted(sent),
            "credBlob": assertion.auth_data.extensions.get("credBlob"),
            "hmacOutputLengths": [len(secrets["output1"]), len(secrets.get("output2", b""))],
            "signatureVerified": True,
        }

    step(results, "makeCredentialRk", create_rk)
    step(results, "makeCredentialNonRk", create_non_rk)
    step(results, "getAssertionRk", lambda: get(state["rk"], False))
    step(results, "getAssertionNonRk", lambda: get(state["nonRk"], True))
    results["blob"] = blob


def u2f_call(fn):
    """A U2F platform repeats a request while the band answers CONDITIONS_NOT_SATISFIED (the touch is pending)."""
    from fido2.ctap1 import APDU, ApduError
    import time
    tries = 0
    while True:
        tries += 1
        try:
            return fn(), tries
        except ApduError as e:
            if e.code != APDU.USE_NOT_SATISFIED or tries >= 50:
                raise
            time.sleep(0.1)


def u2f_scenario(dev, results):
    """CTAP1/U2F through python-fido2's Ctap1: version, register (attestation signature verified by python-fido2),
    authenticate with its signature verified against the registered key, check-only, and the counter shared with
    CTAP2 (a CTAP2 assertion of the U2F credential comes after it)."""
    from fido2.ctap1 import APDU, ApduError, Ctap1
    from fido2.ctap2 import Ctap2

    ctap1 = Ctap1(dev)
    app = sha256(RP["id"].encode())
    state = {}
    step(results, "version", lambda: {"version": ctap1.get_version()})

    def register():
        challenge = sha256(b"u2f register")
        reg, tries = u2f_call(lambda: ctap1.register(challenge, app))
        reg.verify(app, challenge)  # raises if the attestation signature does not check
        state["reg"] = reg
        from cryptography import x509
        cert = x509.load_der_x509_certificate(reg.certificate)
        return {
            "keyHandleLength": len(reg.key_handle),
            "publicKeyLength": len(reg.public_key),
            "certificateSubject": cert.subject.rfc4514_string(),
            "tries": tries,
        }

    step(results, "register", register)

    def authenticate():
        reg = state["reg"]
        challenge = sha256(b"u2f authenticate")
        sig, _ = u2f_call(lambda: ctap1.authenticate(challenge, app, reg.key_handle))
        sig.verify(app, challenge, reg.public_key)  # raises if the signature does not check
        second, _ = u2f_call(lambda: ctap1.authenticate(challenge, app, reg.key_handle))
        return {"userPresence": sig.user_presence, "counter": sig.counter, "nextCounter": second.counter}

    step(results, "authenticate", authenticate)

    def check_only():
        reg = state["reg"]
        out = {}
        for name, handle in (("ours", reg.key_handle), ("foreign", bytes(64))):
            try:
                ctap1.authenticate(sha256(b"c"), app, handle, check_only=True)
                out[name] = "OK"
            except ApduError as e:
                out[name] = APDU(e.code).name
        try:
            ctap1.authenticate(sha256(b"c"), sha256(b"other.example"), reg.key_handle)
            out["otherApp"] = "OK"
        except ApduError as e:
            out["otherApp"] = APDU(e.code).name
        return out

    step(results, "checkOnly", check_only)

    def ctap2_assertion():
        reg = state["reg"]
        ctap = Ctap2(dev)
        assertion = ctap.get_assertion(
            RP["id"], sha256(b"cdh"), allow_list=[{"type": "public-key", "id": reg.key_handle}]
        )
        return {"counter": assertion.auth_data.counter}

    step(results, "ctap2AssertionOfU2fCredential", ctap2_assertion)


def config_scenario(dev, results):
    """authenticatorConfig through python-fido2's Config, then what the band does with the settings."""
    ctap = Ctap2(dev)
    info = ctap.get_info()
    results["getInfo"] = {
        "options": {k: info.options.get(k) for k in ("authnrCfg", "alwaysUv", "setMinPINLength", "makeCredUvNotRqd", "ep")},
        "minPinLength": info.min_pin_length,
        "forcePinChange": info.force_pin_change,
    }
    ClientPin(ctap).set_pin("4321")
    min_pin_ext = MinPinLengthExtension(ctap)

    def acfg_config(pin):
        protocol = PinProtocolV2()
        token = ClientPin(ctap, protocol).get_pin_token(pin, ClientPin.PERMISSION.AUTHENTICATOR_CFG)
        return Config(ctap, protocol, token)

    def min_pin_length_output(rp):
        att = ctap.make_credential(
            sha256(os.urandom(32)), rp, user(1), ES256,
            extensions={min_pin_ext.NAME: min_pin_ext.process_create_input({"minPinLength": True})},
        )
        return dict(att.auth_data.extensions or {}).get("minPinLength")

    step(results, "withoutToken", lambda: {"status": expect_ctap_error(lambda: Config(ctap).toggle_always_uv())})

    def wrong_permission():
        protocol = PinProtocolV2()
        token = ClientPin(ctap, protocol).get_pin_token("4321", ClientPin.PERMISSION.CREDENTIAL_MGMT)
        return {"status": expect_ctap_error(lambda: Config(ctap, protocol, token).toggle_always_uv())}

    step(results, "cmToken", wrong_permission)

    def set_min():
        acfg_config("4321").set_min_pin_length(min_pin_length=6, rp_ids=[RP["id"]])
        info = ctap.get_info()
        return {
            "minPinLength": info.min_pin_length,
            "forcePinChange": info.force_pin_change,
            "extensionForListedRp": min_pin_length_output(RP),
            "extensionForOtherRp": min_pin_length_output({"id": "other.example", "name": "Other"}),
            "tokenBeforeChange": expect_ctap_error(
                lambda: ClientPin(ctap).get_pin_token("4321", ClientPin.PERMISSION.GET_ASSERTION, RP["id"])),
            "shortNewPin": expect_ctap_error(lambda: ClientPin(ctap).change_pin("4321", "54321")),
        }

    step(results, "setMinPinLength", set_min)

    def change():
        ClientPin(ctap).change_pin("4321", "87654321")
        info = ctap.get_info()
        return {"forcePinChange": info.force_pin_change, "lowerMinimum": expect_ctap_error(
            lambda: acfg_config("87654321").set_min_pin_length(min_pin_length=5))}

    step(results, "changePin", change)

    def always_uv():
        acfg_config("87654321").toggle_always_uv()
        info = ctap.get_info()
        cdh = sha256(os.urandom(32))
        att = ctap.make_credential(cdh, RP, user(2), ES256)
        return {
            "alwaysUv": info.options.get("alwaysUv"),
            "makeCredUvNotRqd": info.options.get("makeCredUvNotRqd"),
            "makeCredentialFlags": att.auth_data.flags,
        }

    step(results, "toggleAlwaysUv", always_uv)


def enterprise_scenario(dev, results, root_pem):
    """Enterprise attestation (CTAP 2.1 §7.1) on a band started with --enterprise-rp interop.example.

    python-fido2 0.9.1 names the sub-command (Config.CMD.ENABLE_ENTERPRISE_ATT) and parses epAtt
    (AttestationObject.ep_att), but has neither Config.enable_enterprise_attestation nor a make_credential
    enterprise_attestation parameter: where they are missing the driver sends the same bytes through the
    library's own Config._call and Ctap2.send_cbor, and says which way it went."""
    ctap = Ctap2(dev)
    root = x509.load_pem_x509_certificate(open(root_pem, "rb").read(), default_backend())
    root_der = root.public_bytes(serialization.Encoding.DER)
    has_enable = hasattr(Config, "enable_enterprise_attestation")
    has_param = "enterprise_attestation" in inspect.signature(Ctap2.make_credential).parameters
    results["library"] = {"configEnableEnterpriseAttestation": has_enable, "makeCredentialEnterpriseAttestation": has_param}
    results["epBefore"] = ctap.get_info().options.get("ep")

    def make_ep(rp, value):
        cdh = sha256(os.urandom(32))
        if has_param:
            att = ctap.make_credential(cdh, rp, user(3), ES256, enterprise_attestation=value)
        else:
            # makeCredential member 0x0A is enterpriseAttestation: the tenth positional member.
            att = ctap.send_cbor(
                Ctap2.CMD.MAKE_CREDENTIAL,
                args(cdh, rp, user(3), ES256, None, None, None, None, None, value),
                None,
                AttestationObject,
            )
        statement = att.att_stmt if hasattr(att, "att_stmt") else att.att_statement
        verified = PackedAttestation().verify(statement, att.auth_data, cdh)
        att_type = verified.attestation_type if hasattr(verified, "attestation_type") else verified[0]
        trust_path = (verified.trust_path if hasattr(verified, "trust_path") else verified[1]) or []
        # The chain, leaf then the model's root: each certificate signed by the next (python-fido2's own check).
        verify_x509_chain(list(trust_path) + [root_der])
        leaf = x509.load_der_x509_certificate(trust_path[0], default_backend())
        serials = leaf.subject.get_attributes_for_oid(x509.NameOID.SERIAL_NUMBER)
        return {
            "epAtt": att.ep_att,
            "attestationType": att_type.name,
            "chainsToRoot": True,
            "subject": leaf.subject.rfc4514_string(),
            "deviceId": serials[0].value if serials else None,
        }

    step(results, "beforeEnable", lambda: {"status": expect_ctap_error(lambda: make_ep(RP, 2))})
    ClientPin(ctap).set_pin("4321")

    def enable():
        protocol = PinProtocolV2()
        token = ClientPin(ctap, protocol).get_pin_token("4321", ClientPin.PERMISSION.AUTHENTICATOR_CFG)
        config = Config(ctap, protocol, token)
        if has_enable:
            config.enable_enterprise_attestation()
        else:
            config._call(Config.CMD.ENABLE_ENTERPRISE_ATT)
        return {"ep": ctap.get_info().options.get("ep")}

    step(results, "enable", enable)
    step(results, "vendorFacilitatedListedRp", lambda: make_ep(RP, 1))
    step(results, "vendorFacilitatedOtherRp", lambda: make_ep({"id": "other.example", "name": "Other"}, 1))
    step(results, "platformManaged", lambda: make_ep({"id": "other.example", "name": "Other"}, 2))
    step(results, "valueThree", lambda: {"status": expect_ctap_error(lambda: make_ep(RP, 3))})


def bio_scenario(dev, results):
    """FPBioEnrollment on a band whose wearer enrolled on the band: sensor info, list, rename, the one-template
    refusals, then built-in UV (the wrist) for a credential and an assertion."""
    ctap = Ctap2(dev)
    results["getInfo"] = {
        "bioEnroll": ctap.info.options.get("bioEnroll"),
        "uvBioEnroll": ctap.info.options.get("uvBioEnroll"),
        "uvModality": ctap.info.data.get(0x12),
    }
    client_pin = ClientPin(ctap)
    client_pin.set_pin("4321")
    token = client_pin.get_pin_token("4321", ClientPin.PERMISSION.BIO_ENROLL)
    bio = FPBioEnrollment(ctap, client_pin.protocol, token)
    step(results, "sensorInfo", lambda: {str(k): v for k, v in bio.get_fingerprint_sensor_info().items()})
    step(results, "enumerate", lambda: {k.hex(): v for k, v in bio.enumerate_enrollments().items()})

    def rename():
        template_id = next(iter(bio.enumerate_enrollments()))
        bio.set_name(template_id, "Right index")
        return {k.hex(): v for k, v in bio.enumerate_enrollments().items()}

    step(results, "rename", rename)
    step(results, "enrollBegin", lambda: expect_ctap_error(lambda: bio.enroll_begin()))
    step(results, "remove", lambda: expect_ctap_error(
        lambda: bio.remove_enrollment(next(iter(bio.enumerate_enrollments())))))
    state = {}

    def make_uv():
        _, state["cred"], made = make(ctap, 40, rk=True, uv=True)
        return made

    step(results, "makeCredentialUv", make_uv)
    step(results, "getAssertionUv", lambda: assert_with(ctap, state["cred"], options={"uv": True})[1])


def person(kind, what):
    """Tells the test what the simulated wearer must do: ACT while a request waits, ASK (and wait) before the next."""
    sys.stdout.write("%s %s\n" % (kind, json.dumps(what)))
    sys.stdout.flush()
    if kind == "ASK":
        sys.stdin.readline()


def bio_enroll_scenario(dev, results):
    """FPBioEnrollment enrolls the wearer's finger on an unenrolled, worn band (a local user), with a poor-quality
    sample, a cancelled enrollment and a timed-out one first; then the band's matcher decides built-in UV: an
    assertion with uv and no PIN verifies once the enrolled finger (not another) authenticated on the band; finally
    removeEnrollment takes the template and keeps the credential, which the band uses again only once a finger is."""
    pin = "4321"
    ctap = Ctap2(dev)

    def info_now():
        info = ctap.get_info()
        return {
            "bioEnroll": info.options.get("bioEnroll"),
            "uv": info.options.get("uv"),
            "uvBioEnroll": info.options.get("uvBioEnroll"),
            "uvModality": info.data.get(0x12),
        }

    results["getInfoBefore"] = info_now()
    client_pin = ClientPin(ctap)
    client_pin.set_pin(pin)

    def bio_session():
        token = client_pin.get_pin_token(pin, ClientPin.PERMISSION.BIO_ENROLL)
        return FPBioEnrollment(ctap, client_pin.protocol, token)

    bio = bio_session()
    results["enumerateBefore"] = {k.hex(): v for k, v in bio.enumerate_enrollments().items()}

    def capture(context, touch):
        asked = []

        def on_keepalive(status):
            if int(status) == 2 and not asked:
                asked.append(int(status))
                person("ACT", touch)

        try:
            done = context.capture(on_keepalive=on_keepalive)
            status = "FP_GOOD"
        except CaptureError as e:
            done, status = None, FPBioEnrollment.FEEDBACK(e.code).name
        return {"status": status, "remaining": context.remaining, "done": done.hex() if done else None,
                "askedForFinger": bool(asked)}

    def poor_then_cancel():
        context = bio.enroll(timeout=20000)
        first = capture(context, {"touch": "poor"})
        template_id = context.template_id
        context.cancel()
        after = expect_ctap_error(lambda: bio.enroll_capture_next(template_id, 1000))
        return {"first": first, "templateIdLength": len(template_id), "captureAfterCancel": after}

    step(results, "poorThenCancel", poor_then_cancel)
    # Nobody touches: the band gives up after the platform's timeout, and the enrollment is over.
    step(results, "timeout", lambda: expect_ctap_error(lambda: bio.enroll(timeout=300).capture()))

    def ctaphid_cancel():
        # python-fido2 sends CTAPHID_CANCEL once the event is set: here, as soon as the band asks for the finger.
        event = threading.Event()
        context = bio.enroll(timeout=20000)
        status = expect_ctap_error(lambda: context.capture(event=event, on_keepalive=lambda _status: event.set()))
        return {"status": status, "captureAfter": expect_ctap_error(
            lambda: bio.enroll_capture_next(context.template_id or b"\0" * 16, 1000))}

    step(results, "ctaphidCancel", ctaphid_cancel)

    def enroll():
        context = bio.enroll(timeout=20000)
        samples = []
        while True:
            sample = capture(context, {"touch": "good"})
            samples.append(sample)
            if sample["done"] or len(samples) > 12:
                return {"samples": samples, "templateId": sample["done"]}

    step(results, "enroll", enroll)
    results["getInfoAfter"] = info_now()
    bio = bio_session()
    step(results, "enumerate", lambda: {k.hex(): v for k, v in bio.enumerate_enrollments().items()})

    def rename():
        template_id = next(iter(bio.enumerate_enrollments()))
        bio.set_name(template_id, "Index")
        return {k.hex(): v for k, v in bio.enumerate_enrollments().items()}

    step(results, "rename", rename)
    step(results, "enrollBeginWhenEnrolled", lambda: expect_ctap_error(lambda: bio.enroll_begin(1000)))

    state = {}

    def make_uv():
        _, state["cred"], made = make(ctap, 50, rk=True, uv=True)
        return made

    # Built-in UV is the band's fingerprint match: before the wearer authenticates on the band it is not there.
    step(results, "makeCredentialBeforeMatch", lambda: expect_ctap_error(make_uv))
    person("ASK", {"authenticate": "other-finger"})
    step(results, "makeCredentialAfterOtherFinger", lambda: expect_ctap_error(make_uv))
    person("ASK", {"authenticate": "enrolled-finger"})
    step(results, "makeCredentialUv", make_uv)
    step(results, "getAssertionUv", lambda: assert_with(ctap, state["cred"], options={"uv": True})[1])

    def remove():
        session = bio_session()
        template_id = next(iter(session.enumerate_enrollments()))
        session.remove_enrollment(template_id)
        return {"enumerate": {k.hex(): v for k, v in session.enumerate_enrollments().items()}}

    step(results, "remove", remove)
    results["getInfoRemoved"] = info_now()

    def assert_with_pin():
        # The credential stays (a template is not a credential) but the band uses none without an enrolled wearer.
        cdh = sha256(os.urandom(32))
        token = client_pin.get_pin_token(pin, ClientPin.PERMISSION.GET_ASSERTION, RP["id"])
        resp = ctap.get_assertion(
            RP["id"], cdh, [{"type": "public-key", "id": state["cred"].credential_id}],
            pin_uv_param=client_pin.protocol.authenticate(token, cdh), pin_uv_protocol=client_pin.protocol.VERSION,
        )
        resp.verify(cdh, state["cred"].public_key)
        return {"verified": True, "flags": resp.auth_data.flags}

    step(results, "getAssertionWithPinAfterRemove", lambda: expect_ctap_error(assert_with_pin))
    step(results, "getAssertionUvAfterRemove", lambda: expect_ctap_error(
        lambda: assert_with(ctap, state["cred"], options={"uv": True})))
LARGE_BLOB_PIN = "4321"
PYTHON_BLOB = b"written by python-fido2 " * 8


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def largeblobs_scenario(dev, results):
    """python-fido2's LargeBlobs and LargeBlobKeyExtension: keys from makeCredential and getAssertion, the array
    written and read, a per-credential blob put and got; credentials 51 and 52 are left for bandctl to write."""
    ctap = Ctap2(dev)
    key_ext = LargeBlobKeyExtension(ctap)
    results["getInfo"] = {
        "largeBlobs": ctap.info.options.get("largeBlobs"),
        "maxLargeBlob": ctap.info.max_large_blob,
        "largeBlobKeySupported": key_ext.is_supported(),
    }
    ClientPin(ctap).set_pin(LARGE_BLOB_PIN)
    state = {}

    def make_keyed(n):
        att = ctap.make_credential(
            sha256(os.urandom(32)), RP, user(n), ES256,
            extensions={key_ext.NAME: key_ext.process_create_input({"largeBlobKey": True})},
            options={"rk": True, "uv": True},
        )
        return att.auth_data.credential_data.credential_id, att.large_blob_key

    def make():
        out = {}
        for n in (50, 51, 52):
            cred_id, key = make_keyed(n)
            state[n] = (cred_id, key)
            out[str(n)] = {"credentialId": b64url(cred_id), "keyLength": len(key or b"")}
        out["distinctKeys"] = len({k for _, k in state.values()}) == 3
        return out

    step(results, "makeCredential", make)

    def assertion_key():
        cred_id, key = state[50]
        resp = ctap.get_assertion(
            RP["id"], sha256(os.urandom(32)), [{"type": "public-key", "id": cred_id}],
            extensions={key_ext.NAME: key_ext.process_get_input({"largeBlobKey": True})},
        )
        plain = ctap.get_assertion(RP["id"], sha256(os.urandom(32)), [{"type": "public-key", "id": cred_id}])
        return {"sameKey": resp.large_blob_key == key, "withoutInput": plain.large_blob_key}

    step(results, "getAssertion", assertion_key)

    def blobs_with(permission):
        protocol = PinProtocolV2()
        token = ClientPin(ctap, protocol).get_pin_token(LARGE_BLOB_PIN, permission)
        return LargeBlobs(ctap, protocol, token)

    step(results, "initial", lambda: {"array": LargeBlobs(ctap).read_blob_array()})
    step(results, "withoutToken", lambda: {"status": expect_ctap_error(lambda: LargeBlobs(ctap).write_blob_array([]))})
    step(results, "cmToken", lambda: {"status": expect_ctap_error(
        lambda: blobs_with(ClientPin.PERMISSION.CREDENTIAL_MGMT).write_blob_array([]))})

    def array_round_trip():
        blobs = blobs_with(ClientPin.PERMISSION.LARGE_BLOB_WRITE)
        written = [b"\x01\x02", "text entry", {1: b"x", 2: b"y", 3: 5}]
        blobs.write_blob_array(written)
        read = LargeBlobs(ctap).read_blob_array()
        blobs.write_blob_array([])
        return {"same": read == written, "emptyAgain": LargeBlobs(ctap).read_blob_array()}

    step(results, "array", array_round_trip)

    def put_get():
        blobs = blobs_with(ClientPin.PERMISSION.LARGE_BLOB_WRITE)
        key = state[50][1]
        blobs.put_blob(key, PYTHON_BLOB)
        return {
            "got": LargeBlobs(ctap).get_blob(key).decode(),
            "otherKey": LargeBlobs(ctap).get_blob(state[51][1]),
            "entries": len(LargeBlobs(ctap).read_blob_array()),
        }

    step(results, "putBlob", put_get)


def largeblobs_read_scenario(dev, results):
    """Reads the blobs bandctl wrote: keys from a discoverable getAssertion (python-fido2's own), then python-fido2's
    get_blob (it inflates zlib streams) and, for the spec's raw DEFLATE, python-fido2's decryption with raw inflate."""
    ctap = Ctap2(dev)
    key_ext = LargeBlobKeyExtension(ctap)
    assertions = ctap.get_assertions(
        RP["id"], sha256(os.urandom(32)),
        extensions={key_ext.NAME: key_ext.process_get_input({"largeBlobKey": True})},
    )
    entries = LargeBlobs(ctap).read_blob_array()
    out = {}
    for assertion in assertions:
        key = assertion.large_blob_key
        if key is None:
            continue
        seen = {"getBlob": None, "rawDeflate": None}
        blob = LargeBlobs(ctap).get_blob(key)
        if blob is not None:
            seen["getBlob"] = blob.decode()
        for entry in entries:
            try:
                compressed, orig_size = _lb_unpack(key, entry)
            except ValueError:
                continue
            try:
                inflater = zlib.decompressobj(-zlib.MAX_WBITS)
                data = inflater.decompress(compressed) + inflater.flush()
            except zlib.error:
                continue
            if len(data) == orig_size:
                seen["rawDeflate"] = data.decode()
        out[assertion.user["id"].decode()] = seen
    results["blobs"] = out
    results["entries"] = len(entries)


def main():
    host, port, scenario = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    results = {}
    dev = open_udp_device(host, port)
    try:
        {
            "main": main_scenario,
            "reset": reset_scenario,
            "cancel": cancel_scenario,
            "extensions": extensions_scenario,
            "u2f": u2f_scenario,
            "config": config_scenario,
            "bio": bio_scenario,
            "bio-enroll": bio_enroll_scenario,
            "largeblobs": largeblobs_scenario,
            "largeblobs-read": largeblobs_read_scenario,
            "enterprise": lambda d, r: enterprise_scenario(d, r, sys.argv[4]),
        }[scenario](dev, results)
    except Exception as e:
        results["fatal"] = "%s: %s" % (type(e).__name__, e)
        results["trace"] = traceback.format_exc()
    finally:
        dev.close()
    print(json.dumps(results, default=lambda o: o.hex() if isinstance(o, bytes) else str(o)))


if __name__ == "__main__":
    main()
