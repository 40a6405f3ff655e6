"""CTAPHID over UDP for python-fido2 0.9.x: one 64-byte report per datagram (bandsim --udp-hid)."""
import socket

from fido2.hid import CtapHidDevice
from fido2.hid.base import CtapHidConnection, HidDescriptor

REPORT_SIZE = 64


class UdpCtapHidConnection(CtapHidConnection):
    # 30 s: the band answers or sends KEEPALIVE within 100 ms; only a loaded machine (or a dead band) is slower.
    def __init__(self, host, port, timeout=30.0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.connect((host, port))
        self.sock.settimeout(timeout)

    def read_packet(self):
        return self.sock.recv(REPORT_SIZE)

    def write_packet(self, data):
        self.sock.send(bytes(data))

    def close(self):
        self.sock.close()


def open_udp_device(host, port):
    descriptor = HidDescriptor("udp:%s:%d" % (host, port), 0, 0, REPORT_SIZE, REPORT_SIZE)
    return CtapHidDevice(descriptor, UdpCtapHidConnection(host, port))
