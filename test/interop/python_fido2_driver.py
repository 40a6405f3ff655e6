"""Drives the band (bandsim --udp-hid) with python-fido2 0.9.x, an independent CTAP2 client.

usage: python_fido2_driver.py HOST PORT main|reset|cancel

Prints one JSON object: what each step saw. The vitest side (python-fido2.test.ts) asserts on it; a step that
raises is reported as {"error": "..."} under its name so one failure does not hide the others' results.
"""
import json
import os
import sys
import threading
import traceback

from fido2.attestation import PackedAttestation
from fido2.attestation.base import AttestationType
from fido2.ctap import CtapError
from fido2.ctap2 import Ctap2
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
    # Packed self attestation: python-fido2 checks the signature with the credential's own public key.
    # (0.9 names the statement att_statement and returns a tuple; 1.x says att_stmt and returns a result object.)
    statement = att.att_stmt if hasattr(att, "att_stmt") else att.att_statement
    verified = PackedAttestation().verify(statement, att.auth_data, cdh)
    att_type = verified.attestation_type if hasattr(verified, "attestation_type") else verified[0]
    cred = att.auth_data.credential_data
    return att, cred, {
        "fmt": att.fmt,
        "attestationType": att_type.name,
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


def main():
    host, port, scenario = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    results = {}
    dev = open_udp_device(host, port)
    try:
        {"main": main_scenario, "reset": reset_scenario, "cancel": cancel_scenario}[scenario](dev, results)
    except Exception as e:
        results["fatal"] = "%s: %s" % (type(e).__name__, e)
        results["trace"] = traceback.format_exc()
    finally:
        dev.close()
    print(json.dumps(results, default=lambda o: o.hex() if isinstance(o, bytes) else str(o)))


if __name__ == "__main__":
    main()
