#!/usr/bin/env python3
"""privsep-inspect.py PORT UID GID [root|single]: connect to 127.0.0.1:PORT, say EHLO,
and while the session is open check the process layout of privilege separation
(privsep.h), from /proc:
  - every process holding the server side of this connection has real, effective,
    saved and file-system uid UID and gid GID, CapEff 0, NoNewPrivs 1, Seccomp 2;
  - as root ("root" DIR): its root directory is DIR, empty, owned by root and
    writable by nobody else ("(deleted)": a fresh directory removed at once);
  - its parent is smtp-session too, holds no descriptor of the connection, and
    (as root) runs as root.
Prints what it saw; exits 1 with the reason on the first failed check."""
import os
import socket
import sys

port, uid, gid = int(sys.argv[1]), sys.argv[2], sys.argv[3]
mode = sys.argv[4] if len(sys.argv) > 4 else "root"
want_root = sys.argv[5] if len(sys.argv) > 5 else None


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def status(pid):
    d = {}
    for line in open("/proc/%s/status" % pid):
        k, _, v = line.partition(":")
        d[k] = v.split()
    return d


def server_inode(cport):
    """The inode of the server's socket of the connection from our port cport."""
    for line in open("/proc/net/tcp").readlines()[1:]:
        f = line.split()
        lport = int(f[1].split(":")[1], 16)
        rport = int(f[2].split(":")[1], 16)
        if lport == port and rport == cport:
            return f[9]
    fail("no server socket for the connection in /proc/net/tcp")


def holders(inode):
    want = "socket:[%s]" % inode
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fds = os.listdir("/proc/%s/fd" % pid)
        except OSError:
            continue
        for fd in fds:
            try:
                if os.readlink("/proc/%s/fd/%s" % (pid, fd)) == want:
                    found.append(pid)
                    break
            except OSError:
                pass
    return found


c = socket.create_connection(("127.0.0.1", port), 5)
c.settimeout(20)
f = c.makefile("rb")
greeting = f.readline()
if not greeting.startswith(b"220"):
    fail("greeting %r" % greeting)
c.sendall(b"EHLO inspector\r\n")
while True:
    line = f.readline()
    if not line or line[3:4] == b" ":
        break
inode = server_inode(c.getsockname()[1])
pids = holders(inode)
if not pids:
    fail("nobody holds the connection")
for pid in pids:
    st = status(pid)
    comm = open("/proc/%s/comm" % pid).read().strip()
    print("holder", pid, comm, "Uid", st["Uid"], "Gid", st["Gid"], "CapEff", st["CapEff"],
          "NoNewPrivs", st["NoNewPrivs"], "Seccomp", st["Seccomp"])
    if not comm.startswith("smtp-session"):
        fail("%s (%s) holds the connection" % (pid, comm))
    if st["Uid"] != [uid] * 4 or st["Gid"] != [gid] * 4:
        fail("uids %s gids %s, not %s/%s" % (st["Uid"], st["Gid"], uid, gid))
    if int(st["CapEff"][0], 16) != 0:
        fail("CapEff %s" % st["CapEff"])
    if st["NoNewPrivs"] != ["1"] or st["Seccomp"] != ["2"]:
        fail("NoNewPrivs %s Seccomp %s" % (st["NoNewPrivs"], st["Seccomp"]))
    root = os.readlink("/proc/%s/root" % pid)
    print("  root directory:", root)
    if mode == "root":
        if root == "/" or (root != want_root and not (want_root == "(deleted)" and
                                                    root.endswith(" (deleted)"))):
            fail("root directory %r is not %r" % (root, want_root))
        if os.listdir("/proc/%s/root" % pid):
            fail("root directory not empty")
        rst = os.stat("/proc/%s/root" % pid)
        if rst.st_uid != 0 or rst.st_mode & 0o022:
            fail("root directory not root's, or writable by others")
    ppid = st["PPid"][0]
    pst = status(ppid)
    pcomm = open("/proc/%s/comm" % ppid).read().strip()
    print("parent", ppid, pcomm, "Uid", pst["Uid"])
    if not pcomm.startswith("smtp-session"):
        fail("the parent %s is %s" % (ppid, pcomm))
    if ppid in pids:
        fail("the parent holds the connection")
    if mode == "root" and pst["Uid"][1] != "0":
        fail("the parent is not root")
c.sendall(b"QUIT\r\n")
if not f.readline().startswith(b"221"):
    fail("no 221")
print("ok")
