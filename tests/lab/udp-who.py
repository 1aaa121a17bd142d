#!/usr/bin/env python3
"""The lab pods' UDP server: answers every datagram with the pod's name and
the sender's address, from one process (socat's UDP fork mode loses
datagrams that arrive while it hands one to a child)."""
import socket
import sys

name, port = sys.argv[1], int(sys.argv[2])
sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("0.0.0.0", port))
while True:
    _, peer = sock.recvfrom(2048)
    sock.sendto(f"{name} {peer[0]}\n".encode(), peer)
