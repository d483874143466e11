"""Give each concurrent test/bench run on this machine its own Redis database and PostgreSQL database.

`slot.py acquire` prints a free slot number (15 down to 8), held in Redis db 0 for at most 3 hours;
`slot.py release N` frees it. Two runs at once would otherwise flush each other's queues.
"""
import os
import socket
import sys
import time

HOST, PORT = "127.0.0.1", 6379
SLOTS = range(15, 7, -1)


def command(*args: str) -> bytes:
    payload = f"*{len(args)}\r\n" + "".join(f"${len(a.encode())}\r\n{a}\r\n" for a in args)
    with socket.create_connection((HOST, PORT), timeout=5) as conn:
        conn.sendall(payload.encode())
        return conn.recv(1024)


def acquire() -> int:
    for _ in range(600):
        for slot in SLOTS:
            if command("SET", f"integrations-test-slot:{slot}", str(os.getppid()), "NX", "EX", "10800").startswith(b"+OK"):
                return slot
        time.sleep(1)
    sys.exit("no free test slot (Redis databases 8-15 all in use for 10 minutes)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["acquire"]:
        print(acquire())
    elif sys.argv[1:2] == ["release"]:
        command("DEL", f"integrations-test-slot:{sys.argv[2]}")
