#!/usr/bin/env python3
"""testmilter.py: a small milter (Sendmail milter protocol version 6) for milter.bats.

It listens on a Unix socket (--unix PATH) or on 127.0.0.1, port chosen by the kernel
(--port-file FILE gets the port), serves each connection in a thread, and logs every
packet it receives as one JSON line in --log (the command letter, its decoded data
and the macros sent before it), so the tests can check what smtp-session sent.

What it answers is set per step with --on STEP=ACTION (repeatable; several actions
for one step are done in order, the last one is the answer):
  STEP:   optneg connect helo mail rcpt data header eoh body eom
  ACTION: continue accept reject tempfail discard skip progress
          reply:CODE TEXT        SMFIR_REPLYCODE ("550 5.7.1 go away")
          add:NAME:VALUE         SMFIR_ADDHEADER
          insert:IDX:NAME:VALUE  SMFIR_INSHEADER
          change:IDX:NAME:VALUE  SMFIR_CHGHEADER (empty VALUE deletes)
          quarantine:REASON      SMFIR_QUARANTINE
          chgfrom:ADDR           SMFIR_CHGFROM (not negotiated: a violation)
          sleep:SECONDS          wait before going on (the timeout tests)
          garbage                a packet of nonsense
          biglen                 a length over any bound
          close                  close the connection here
--reject-rcpt SUBSTR refuses (550 5.1.1) the recipients containing SUBSTR, and
--proto HEX / --actions HEX set what it asks for in the option negotiation.
"""
import argparse
import json
import os
import socket
import socketserver
import struct
import sys
import threading
import time

STEPS = {'O': 'optneg', 'C': 'connect', 'H': 'helo', 'M': 'mail', 'R': 'rcpt',
         'T': 'data', 'L': 'header', 'N': 'eoh', 'B': 'body', 'E': 'eom'}
NOREPLY = {'A', 'Q', 'D', 'K'}

args = None
log_lock = threading.Lock()


def log(rec):
    with log_lock, open(args.log, 'a') as f:
        f.write(json.dumps(rec) + '\n')


def strings(data):
    return [x.decode('utf-8', 'replace') for x in data.split(b'\0')[:-1]]


def packet(cmd, data=b''):
    return struct.pack('>I', len(data) + 1) + cmd.encode() + data


def action(sock, a):
    """Do one action; returns the packet to send or None."""
    name, _, rest = a.partition(':')
    if name in ('continue', 'accept', 'reject', 'tempfail', 'discard', 'skip', 'progress'):
        return packet({'continue': 'c', 'accept': 'a', 'reject': 'r', 'tempfail': 't',
                       'discard': 'd', 'skip': 's', 'progress': 'p'}[name])
    if name == 'reply':
        return packet('y', rest.encode() + b'\0')
    if name == 'add':
        n, _, v = rest.partition(':')
        return packet('h', n.encode() + b'\0' + v.encode() + b'\0')
    if name in ('insert', 'change'):
        i, _, nv = rest.partition(':')
        n, _, v = nv.partition(':')
        return packet('i' if name == 'insert' else 'm',
                      struct.pack('>I', int(i)) + n.encode() + b'\0' + v.encode() + b'\0')
    if name == 'quarantine':
        return packet('q', rest.encode() + b'\0')
    if name == 'chgfrom':
        return packet('e', rest.encode() + b'\0')
    if name == 'sleep':
        time.sleep(float(rest))
        return None
    if name == 'garbage':
        return b'\x00\x00\x00\x05Zjunk'
    if name == 'biglen':
        return b'\x7f\xff\xff\xff'
    if name == 'close':
        raise ConnectionAbortedError
    raise SystemExit('unknown action ' + a)


class Handler(socketserver.BaseRequestHandler):
    def recv(self, n):
        b = b''
        while len(b) < n:
            c = self.request.recv(n - len(b))
            if not c:
                raise EOFError
            b += c
        return b

    def handle(self):
        macros = {}
        if self.request.family == socket.AF_UNIX:	# who connected: the session's user
            pid, uid, gid = struct.unpack('3i', self.request.getsockopt(
                socket.SOL_SOCKET, socket.SO_PEERCRED, 12))
            log({'cmd': '+', 'step': 'accepted', 'uid': uid, 'gid': gid})
        elif self.request.family == socket.AF_INET:	# the owner of the client's socket
            port = '%04X' % self.request.getpeername()[1]
            with open('/proc/net/tcp') as f:
                uid = [int(l.split()[7]) for l in f.readlines()[1:]
                       if l.split()[1].endswith(':' + port) and l.split()[2].endswith(
                           ':%04X' % self.request.getsockname()[1])]
            log({'cmd': '+', 'step': 'accepted', 'uid': uid[0] if uid else None})
        try:
            while True:
                n = struct.unpack('>I', self.recv(4))[0]
                body = self.recv(n)
                cmd, data = chr(body[0]), body[1:]
                if cmd == 'D':
                    kv = strings(data[1:])
                    macros[chr(data[0])] = dict(zip(kv[::2], kv[1::2]))
                    continue
                rec = {'cmd': cmd, 'step': STEPS.get(cmd, cmd)}
                if cmd == 'O':
                    rec['data'] = list(struct.unpack('>III', data[:12]))
                elif cmd == 'C':
                    host, _, rest = data.partition(b'\0')
                    rec['data'] = [host.decode(), chr(rest[0])]
                    if rest[0:1] != b'U':
                        rec['data'] += [struct.unpack('>H', rest[1:3])[0],
                                        rest[3:-1].decode()]
                elif cmd == 'B':
                    rec['data'] = data.decode('utf-8', 'replace')
                else:
                    rec['data'] = strings(data)
                if cmd in macros:
                    rec['macros'] = macros.pop(cmd)
                log(rec)
                if cmd in NOREPLY:
                    if cmd == 'Q':
                        return
                    continue
                step = STEPS.get(cmd)
                if cmd == 'O':
                    proto = int(args.proto, 16) if args.proto else 0
                    acts = int(args.actions, 16) if args.actions else 0x31
                    for a in args.on.get('optneg', []):
                        p = action(self.request, a)
                        if p:
                            self.request.sendall(p)
                            break
                    else:
                        self.request.sendall(packet('O', struct.pack('>III', 6, acts, proto)))
                    continue
                if cmd == 'R' and args.reject_rcpt and args.reject_rcpt in rec['data'][0]:
                    self.request.sendall(packet('y', b'550 5.1.1 ' + rec['data'][0].encode() +
                                                b' filtered\0'))
                    continue
                if proto_noreply(cmd):
                    continue
                acts = args.on.get(step, ['continue'])
                for a in acts:
                    p = action(self.request, a)
                    if p:
                        self.request.sendall(p)
                if acts and acts[-1].partition(':')[0] in ('sleep', 'add', 'insert', 'change',
                                                           'quarantine', 'progress'):
                    self.request.sendall(packet('c'))
        except (EOFError, ConnectionError, ConnectionAbortedError):
            log({'cmd': '-', 'step': 'closed'})
        finally:
            try:
                self.request.close()
            except OSError:
                pass


NR = {'C': 0x1000, 'H': 0x2000, 'M': 0x4000, 'R': 0x8000, 'T': 0x10000, 'L': 0x80,
      'N': 0x40000, 'B': 0x80000}


def proto_noreply(cmd):
    return bool(args.proto) and bool(int(args.proto, 16) & NR.get(cmd, 0))


class UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument('--unix')
    ap.add_argument('--port-file')
    ap.add_argument('--log', required=True)
    ap.add_argument('--on', action='append', default=[])
    ap.add_argument('--reject-rcpt')
    ap.add_argument('--proto')
    ap.add_argument('--actions')
    args = ap.parse_args()
    on = {}
    for o in args.on:
        step, _, a = o.partition('=')
        on.setdefault(step, []).append(a)
    args.on = on
    if args.unix:
        try:
            os.unlink(args.unix)
        except FileNotFoundError:
            pass
        srv = UnixServer(args.unix, Handler)
        os.chmod(args.unix, 0o666)
    else:
        srv = TCPServer(('127.0.0.1', 0), Handler)
        with open(args.port_file + '.tmp', 'w') as f:
            f.write(str(srv.server_address[1]))
        os.rename(args.port_file + '.tmp', args.port_file)
    srv.serve_forever()


if __name__ == '__main__':
    sys.exit(main())
