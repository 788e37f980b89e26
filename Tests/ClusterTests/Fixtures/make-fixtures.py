#!/usr/bin/env python3
"""Regenerates the ClusterTests fixtures from a real redis-server (7.0.15 when written).

    redis-server --port 30100 --save '' --appendonly no &
    python3 make-fixtures.py 30100

Writes, next to this script:
  command-7.0.resp        the raw RESP2 reply of `COMMAND`
  command-info-7.0-resp3.resp  the raw RESP3 reply of `COMMAND INFO` for a few commands (after `HELLO 3`)
  getkeys-7.0.resp        one RESP array of cases; each case is a 2-array: the arguments given to
                          `COMMAND GETKEYS` (as bulk strings) and the server's raw reply to it
Only the server's replies are expected values; this script merely chooses the argument lists.
"""
import os, socket, sys

PORT = int(sys.argv[1]) if len(sys.argv) > 1 else 30100
HERE = os.path.dirname(os.path.abspath(__file__))


def encode(args):
    out = b"*%d\r\n" % len(args)
    for a in args:
        a = a.encode() if isinstance(a, str) else a
        out += b"$%d\r\n%s\r\n" % (len(a), a)
    return out


class Connection:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.buf = b""

    def _need(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(1 << 20)
            if not data:
                raise EOFError
            self.buf += data

    def _line_end(self, at):
        while True:
            i = self.buf.find(b"\r\n", at)
            if i >= 0:
                return i
            self._need(len(self.buf) + 1)

    def _skip(self, at):
        """Index just past the value starting at `at`, and the value (decoded loosely)."""
        end = self._line_end(at)
        kind, head = self.buf[at:at + 1], self.buf[at + 1:end]
        at = end + 2
        if kind in (b"+", b"-", b":", b"_", b"#", b",", b"("):
            return at, (kind, head)
        if kind in (b"$", b"=", b"!"):
            n = int(head)
            if n < 0:
                return at, (kind, None)
            self._need(at + n + 2)
            return at + n + 2, (kind, self.buf[at:at + n])
        if kind in (b"*", b"~", b">", b"%"):
            n = int(head)
            if kind == b"%":
                n *= 2
            items = []
            for _ in range(max(n, 0)):
                at, item = self._skip(at)
                items.append(item)
            return at, (kind, items)
        raise ValueError("unexpected RESP type %r" % kind)

    def call_raw(self, args):
        self.sock.sendall(encode(args))
        end, value = self._skip(0)
        raw, self.buf = self.buf[:end], self.buf[end:]
        return raw, value


def names(value):
    return [entry[1][0][1].decode() for entry in value[1]]


def main():
    conn = Connection(PORT)
    raw, table = conn.call_raw(["COMMAND"])
    open(os.path.join(HERE, "command-7.0.resp"), "wb").write(raw)

    resp3 = Connection(PORT)
    resp3.call_raw(["HELLO", "3"])
    raw3, _ = resp3.call_raw(["COMMAND", "INFO", "get", "set", "mset", "zunionstore", "xread", "migrate",
                              "sort", "spublish", "object", "client", "keys", "eval"])
    open(os.path.join(HERE, "command-info-7.0-resp3.resp"), "wb").write(raw3)

    commands = []  # (argument prefix, arity, key specs as decoded values)
    for entry in table[1]:
        fields = entry[1]
        name = fields[0][1].decode()
        commands.append(([name], fields[1][1], fields[8][1]))
        for sub in fields[9][1]:
            full = sub[1][0][1].decode()
            commands.append((full.split("|"), sub[1][1][1], sub[1][8][1]))

    cases = []
    for prefix, arity, specs in commands:
        arity = int(arity)
        need = abs(arity)
        counts = [need - 1, need, need + 1] if arity > 0 else [need - 1, need, need + 1, need + 2, need + 4]
        keywords = set()
        for spec in specs:
            spec = dict(zip([k[1].decode() for k in spec[1][::2]], spec[1][1::2]))
            begin = dict(zip([k[1].decode() for k in spec["begin_search"][1][::2]], spec["begin_search"][1][1::2]))
            if begin["type"][1] == b"keyword":
                keywords.add(dict(zip([k[1].decode() for k in begin["spec"][1][::2]], begin["spec"][1][1::2]))["keyword"][1].decode())
        for count in counts:
            rest = max(count - len(prefix), 0)
            if count < len(prefix):
                cases.append(prefix[:count] if count > 0 else prefix[:1])
                continue
            cases.append(prefix + ["%s%d" % (chr(ord("a") + i % 26), i) for i in range(rest)])  # distinct words
            cases.append(prefix + [str(i + 1) for i in range(rest)])  # distinct numbers (numkeys, counts)
            cases.append(prefix + ["2"] + ["n%d" % i for i in range(rest - 1)] if rest else prefix)
            for keyword in sorted(keywords):
                for at in range(rest):
                    words = ["w%d" % i for i in range(rest)]
                    words[at] = keyword if at % 2 == 0 else keyword.lower()
                    cases.append(prefix + words)
    cases += HAND_WRITTEN

    seen, unique = set(), []
    for case in cases:
        key = tuple(case)
        if key not in seen:
            seen.add(key)
            unique.append(case)

    out = b"*%d\r\n" % len(unique)
    for case in unique:
        raw, _ = conn.call_raw(["COMMAND", "GETKEYS"] + case)
        out += b"*2\r\n" + encode(case) + raw
    open(os.path.join(HERE, "getkeys-7.0.resp"), "wb").write(out)
    print("commands:", len(commands), "cases:", len(unique))


def w(text):
    return text.split(" ")


HAND_WRITTEN = [
    w("SET k v"), w("set k v GET"), w("SET k v EX 10 NX GET"), w("GET k"),
    w("MSET a 1 b 2 c 3"), w("MSET a 1 b"), w("MSET {t}a 1 {t}b 2"), w("MSETNX a 1 b 2"),
    w("MGET a b c"), w("MGET {u}a {u}b"), w("DEL a b c"), w("EXISTS a a"), w("UNLINK x"), w("TOUCH a b"),
    w("EVAL s 0"), w("EVAL s 1 k"), w("EVAL s 2 k1 k2 a1 a2"), w("EVAL s 3 k1 k2"), w("EVAL s -1 k"),
    w("EVAL s 01 k"), w("EVAL s +1 k"), w("EVAL s -0 k"), w("EVAL s 1x k"), w("EVAL s 1.0 k"),
    w("EVAL s 4294967297 k"), w("EVAL s 9223372036854775807 k"), w("EVAL s 9223372036854775808 k"),
    w("EVALSHA sha 2 a b c"), w("EVAL_RO s 1 k"), w("EVALSHA_RO s 1 k"), w("FCALL f 2 a b c"),
    w("FCALL_RO f 1 a"), w("FCALL f 0"),
    ["EVAL", "s", " 1", "k"], ["EVAL", "s", "1 ", "k"], ["EVAL", "s", "", "k"],
    w("XREAD STREAMS s1 0"), w("XREAD COUNT 2 STREAMS s1 s2 0 0"), w("XREAD BLOCK 0 STREAMS s1 s2 0 0"),
    w("xread streams s1 s2 s3 0 0 0"), w("XREAD STREAMS s1 s2 0"), w("XREAD STREAMS a STREAMS b"),
    w("XREAD COUNT STREAMS STREAMS k 0"), w("XREAD STREAMS"), w("XREAD COUNT 1 BLOCK 1"),
    ["XREAD", "STREAMS\x00x", "s1", "0"], ["XREAD", "STREAMSx", "s1", "0"], w("XREAD StReAmS s 0"),
    w("XREADGROUP GROUP g c STREAMS s1 >"), w("XREADGROUP GROUP g c COUNT 1 BLOCK 0 NOACK STREAMS s1 s2 > >"),
    w("XREADGROUP GROUP streams c STREAMS s1 >"), w("XREADGROUP GROUP g c STREAMS s1 s2 >"),
    w("ZUNIONSTORE d 2 a b"), w("ZUNIONSTORE d 2 a b WEIGHTS 1 2 AGGREGATE MAX"), w("ZUNIONSTORE d 0 a"),
    w("ZUNIONSTORE d 3 a b"), w("ZUNIONSTORE d -1 a b"), w("ZUNIONSTORE d x a b"),
    w("ZINTERSTORE d 1 a"), w("ZDIFFSTORE d 2 a b"), w("ZUNION 2 a b WITHSCORES"), w("ZINTER 1 a"),
    w("ZDIFF 2 a b"), w("ZINTERCARD 2 a b LIMIT 1"), w("ZINTERCARD 3 a b"),
    w("SORT k"), w("SORT k BY w:* GET h:* STORE d"), w("SORT k STORE d1 STORE d2"), w("SORT k LIMIT 0 1 STORE d"),
    w("SORT k STORE"), w("SORT_RO k BY x"), w("SORT_RO k"), w("SORT k ASC ALPHA"),
    w("GEORADIUS g 0 0 1 km"), w("GEORADIUS g 0 0 1 km STORE d"), w("GEORADIUS g 0 0 1 km STOREDIST d"),
    w("GEORADIUS g 0 0 1 km STORE d STOREDIST e"), w("GEORADIUS g 0 0 1 km WITHDIST STORE d"),
    w("GEORADIUS g 0 0 1 STORE d"), w("GEORADIUS g 0 0 1 km STORE"),
    w("GEORADIUSBYMEMBER g m 1 km STORE d"), w("GEORADIUSBYMEMBER g m 1 km"), w("GEORADIUS_RO g 0 0 1 km"),
    w("GEOSEARCHSTORE d s FROMMEMBER m BYRADIUS 1 km"),
    w("MIGRATE h 6379 k 0 5000"), w("MIGRATE h 6379 '' 0 5000 KEYS a b"), ["MIGRATE", "h", "6379", "", "0", "5000", "KEYS", "a", "b"],
    ["MIGRATE", "h", "6379", "", "0", "5000", "COPY", "REPLACE", "KEYS", "a"],
    ["MIGRATE", "h", "6379", "", "0", "5000", "AUTH", "KEYS", "KEYS", "a"],
    ["MIGRATE", "h", "6379", "", "0", "5000", "KEYS"], w("MIGRATE h 6379 k 0 5000 COPY REPLACE"),
    w("OBJECT ENCODING k"), w("object encoding k"), w("OBJECT FREQ k"), w("OBJECT IDLETIME k"),
    w("OBJECT REFCOUNT k"), w("OBJECT HELP"), w("OBJECT"), w("OBJECT NOPE k"),
    w("XINFO STREAM s"), w("XINFO STREAM s FULL COUNT 10"), w("XINFO GROUPS s"), w("XINFO CONSUMERS s g"),
    w("MEMORY USAGE k"), w("MEMORY USAGE k SAMPLES 5"), w("MEMORY DOCTOR"),
    w("LMPOP 2 a b LEFT"), w("LMPOP 2 a b LEFT COUNT 2"), w("LMPOP 1 a RIGHT"), w("LMPOP 0 a LEFT"),
    w("LMPOP 3 a b LEFT"), w("BLMPOP 0 2 a b LEFT"), w("ZMPOP 2 a b MIN"), w("BZMPOP 0 1 a MAX COUNT 1"),
    w("BITOP AND d a b"), w("BITOP NOT d a"), w("BITCOUNT k 0 1"), w("BITFIELD k GET u8 0"), w("BITFIELD_RO k GET u8 0"),
    w("SINTERCARD 2 a b"), w("SINTERCARD 2 a b LIMIT 5"), w("SINTERCARD 1 a"), w("SINTERCARD 0 a"), w("SINTERCARD 3 a b"),
    w("SINTERSTORE d a b"), w("SUNIONSTORE d a"), w("SDIFF a b c"), w("SMOVE a b m"),
    w("RENAME a b"), w("COPY a b"), w("COPY a b DB 1 REPLACE"), w("LMOVE a b LEFT RIGHT"), w("BLMOVE a b LEFT RIGHT 0"),
    w("RPOPLPUSH a b"), w("BRPOPLPUSH a b 0"), w("BLPOP a b c 0"), w("BRPOP a 0"), w("BZPOPMIN a b 0"),
    w("PFMERGE d a b"), w("PFCOUNT a b"), w("ZRANGESTORE d s 0 -1"), w("LCS a b"), w("XADD s * f v"),
    w("SPUBLISH ch msg"), w("SSUBSCRIBE a b"), w("SUNSUBSCRIBE a"), w("SUNSUBSCRIBE"), w("PUBLISH ch msg"),
    w("WATCH a b"), w("SUBSCRIBE a"), w("PING"), w("CLUSTER KEYSLOT k"), w("CLUSTER COUNTKEYSINSLOT 1"),
    w("CLIENT KILL ID 1"), w("CONFIG GET x"), w("NOSUCHCOMMAND a b"), w("GET"), w("GET a b"),
    w("DEBUG OBJECT k"), w("RESTORE k 0 x"), w("RESTORE-ASKING k 0 x"), w("PFDEBUG GETREG k"), w("DUMP k"),
    w("XGROUP CREATE s g $"), w("XGROUP CREATECONSUMER s g c"), w("XGROUP DESTROY s g"), w("XGROUP SETID s g 0"),
    w("XGROUP DELCONSUMER s g c"), w("XAUTOCLAIM s g c 0 0"), w("XCLAIM s g c 0 1"),
    w("SCRIPT EXISTS a"), w("FUNCTION LOAD x"), w("GETEX k PERSIST"), w("HSET h f v f2 v2"), w("HMSET h f v f2"),
]

if __name__ == "__main__":
    main()
