"""memscan.py: the processes of one session and a search of their memory, for the
memory-scan tests (privsep-memscan.py, tls-memscan.py).  As root: /proc/PID/mem."""
import os
import re


def session_processes(port, cport):
    """(session process, its privileged parent) of the connection from local port
    cport to port on 127.0.0.1: the one process holding the socket, and its parent."""
    inode = None
    for line in open("/proc/net/tcp").readlines()[1:]:
        fl = line.split()
        if int(fl[1].split(":")[1], 16) == port and int(fl[2].split(":")[1], 16) == cport:
            inode = fl[9]
    pids = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if any(os.readlink("/proc/%s/fd/%s" % (pid, fd)) == "socket:[%s]" % inode
                   for fd in os.listdir("/proc/%s/fd" % pid)):
                pids.append(pid)
        except OSError:
            pass
    if len(pids) != 1:
        raise SystemExit("expected one session process, found %s" % pids)
    ppid = open("/proc/%s/status" % pids[0]).read().split("PPid:")[1].split()[0]
    return pids[0], ppid


def scan(pid, needles):
    """Search every readable mapping of pid for each needle ({name: bytes}).
    Returns (bytes scanned, [(name, address, mapping line)] of what was found)."""
    n, hits = 0, []
    with open("/proc/%s/maps" % pid) as maps, open("/proc/%s/mem" % pid, "rb", 0) as mem:
        for line in maps:
            m = re.match(r"([0-9a-f]+)-([0-9a-f]+) (\S+)", line)
            lo, hi, perm = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
            if perm[0] != "r" or hi - lo > 1 << 30 or "[vvar]" in line or "[vsyscall]" in line:
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except OSError:
                continue
            n += len(data)
            for name, needle in needles.items():
                i = data.find(needle)
                if i != -1:
                    hits.append((name, lo + i, line.strip()))
    return n, hits
