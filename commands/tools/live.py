"""Reading a running server's own command metadata, and comparing the table with it.

`COMMAND DOCS` (summary, since, group, arguments, history) and `COMMAND INFO`
(arity, flags, key specs, tips) of a live Redis or Valkey server are turned
into the same shape as Redis's command JSON files, so that generate.py can
refresh from a server as from the JSON files, and `--check --live` can
report where the table and each server disagree.

A small RESP2 client over a socket (standard library only); the server is
named by a URL: `redis://[[user]:password@]host:port` (or `valkey://`,
`host:port`).
"""

from __future__ import annotations

import socket
from urllib.parse import unquote, urlsplit

from generate import (CALLABLE_CONTAINERS, COMMANDS_DIR, GROUPS, SERVER_FLAGS, json_arg,
                      json_keys, read_toml)

# Valkey forked from this Redis version: it has everything Redis had then.
VALKEY_FIRST = (7, 2, 4)


# ------------------------------------------------------------ a RESP2 client

class ServerError(Exception):
    """An error reply."""


class Connection:
    """One connection; `call` sends a command and returns its decoded reply."""

    def __init__(self, url: str, timeout: float = 10.0):
        parts = urlsplit(url if "://" in url else f"redis://{url}")
        self.sock = socket.create_connection((parts.hostname or "127.0.0.1",
                                              parts.port or 6379), timeout)
        self.buf = b""
        if parts.password is not None:
            auth = [unquote(parts.username)] if parts.username else []
            self.call("AUTH", *auth, unquote(parts.password))

    def call(self, *args: str):
        out = [f"*{len(args)}\r\n".encode()]
        for a in args:
            b = a.encode()
            out.append(b"$%d\r\n%s\r\n" % (len(b), b))
        self.sock.sendall(b"".join(out))
        reply = self.read()
        if isinstance(reply, ServerError):
            raise reply
        return reply

    def line(self) -> bytes:
        while b"\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\r\n")
        return line

    def exact(self, n: int) -> bytes:
        while len(self.buf) < n + 2:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def read(self):
        line = self.line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            return ServerError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            return None if n < 0 else self.exact(n).decode(errors="replace")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.read() for _ in range(n)]
        raise ConnectionError(f"unexpected reply line {line[:40]!r}")


def pairs(flat) -> dict:
    """A RESP2 flat array of name/value pairs as a dict."""
    if isinstance(flat, dict):
        return flat
    return {flat[i]: flat[i + 1] for i in range(0, len(flat or []) - 1, 2)}


# ------------------------------------------- server metadata as JSON-file specs

def server_identity(conn: Connection) -> tuple[str, tuple[int, ...]]:
    """("redis" or "valkey", version) from INFO: Valkey reports a Redis
    version for compatibility, so its own fields decide."""
    fields = dict(l.split(":", 1) for l in conn.call("INFO", "server").splitlines()
                  if ":" in l)
    if fields.get("server_name", "").strip() == "valkey" or "valkey_version" in fields:
        kind, text = "valkey", fields.get("valkey_version", "0.0.0")
    else:
        kind, text = "redis", fields.get("redis_version", "0.0.0")
    return kind, tuple(int(p) for p in text.strip().split(".")[:3])


def doc_arg(a) -> dict:
    """One COMMAND DOCS argument in the JSON files' form."""
    a = pairs(a)
    out = {"name": a["name"], "type": a["type"]}
    if a.get("display_text") and a["display_text"] != a["name"]:
        out["display"] = a["display_text"]
    for field in ("token", "since"):
        if a.get(field) is not None:
            out[field] = a[field]
    for flag in a.get("flags") or []:
        out[flag] = True
    if a.get("arguments"):
        out["arguments"] = [doc_arg(x) for x in a["arguments"]]
    return out


def info_key_spec(ks) -> dict:
    """One COMMAND INFO key spec in the JSON files' form."""
    ks = pairs(ks)
    begin, find = pairs(ks.get("begin_search")), pairs(ks.get("find_keys"))
    bspec, fspec = pairs(begin.get("spec")), pairs(find.get("spec"))
    if begin.get("type") == "index":
        b = {"index": {"pos": bspec["index"]}}
    elif begin.get("type") == "keyword":
        b = {"keyword": {"keyword": bspec["keyword"], "startfrom": bspec["startfrom"]}}
    else:
        b = {"unknown": None}
    if find.get("type") == "range":
        f = {"range": {"lastkey": fspec["lastkey"], "step": fspec["keystep"],
                       "limit": fspec["limit"]}}
    elif find.get("type") == "keynum":
        f = {"keynum": {"keynumidx": fspec["keynumidx"], "firstkey": fspec["firstkey"],
                        "step": fspec["keystep"]}}
    else:
        f = {"unknown": None}
    return {"flags": [x.upper() for x in ks.get("flags") or []], "begin_search": b,
            "find_keys": f}


def read_server(url: str) -> tuple[str, tuple[int, ...], dict[str, dict]]:
    """The server's kind, version and every command and subcommand by full
    name ("CLIENT KILL"), each in the JSON files' form."""
    conn = Connection(url)
    kind, version = server_identity(conn)
    docs = pairs(conn.call("COMMAND", "DOCS"))
    infos = conn.call("COMMAND", "INFO")
    out: dict[str, dict] = {}

    def add(info, doc: dict) -> None:
        name = info[0].upper().replace("|", " ")
        spec = {
            "summary": doc.get("summary", ""),
            "since": doc.get("since", "0.0.0"),
            "group": doc.get("group", "module"),
            "arity": info[1],
            "command_flags": [f.upper() for f in info[2]],
            "command_tips": [t.upper() for t in info[7] or []],
            "key_specs": [info_key_spec(k) for k in info[8] or []],
            "arguments": [doc_arg(a) for a in doc.get("arguments") or []],
            "history": doc.get("history") or [],
            "doc_flags": [f.upper() for f in doc.get("doc_flags") or []],
        }
        if doc.get("replaced_by"):
            spec["replaced_by"] = doc["replaced_by"]
        subs = info[9] or []
        # A container is not a command itself (COMMAND alone also runs).
        if not subs or name in CALLABLE_CONTAINERS:
            out[name] = spec
        sub_docs = pairs(doc.get("subcommands") or [])
        for sub in subs:
            add(sub, pairs(sub_docs.get(sub[0], [])))

    for info in infos:
        if info is None:
            continue
        add(info, pairs(docs.get(info[0], [])))
    return kind, version, out


# -------------------------------------------------------- comparing with the table

def version_of(text: str | None) -> tuple[int, ...] | None:
    return tuple(int(p) for p in text.split(".")) if text else None


def has_it(cmd: dict, kind: str, version: tuple[int, ...]) -> bool:
    """What the table's availability (FORMAT.md "Availability") says of this server."""
    if "redis" in cmd or "valkey" in cmd:
        first = version_of(cmd.get(kind))
    else:
        first = version_of(cmd.get("since")) if kind == "redis" else VALKEY_FIRST
    return first is not None and version >= first


def server_flags_of(cmd: dict, kind: str) -> set[str]:
    """The table's server flags (ours left out) for this kind of server."""
    ours = set(SERVER_FLAGS.values())
    flags = {f for f in cmd.get("flags", []) if f in ours}
    if kind == "valkey":
        for change in cmd.get("valkey_flags", []):
            (flags.add if change.startswith("+") else flags.discard)(change[1:])
    return flags


def kind_of(a: dict) -> str:
    """A pure token, a choice, a block, or a value: what the server's
    arguments and ours must agree on. Names, displays and a value's exact
    type (`double` for an `integer` the server takes as a fraction) are ours."""
    kind = a.get("type", "token")
    return kind if kind in ("token", "oneof", "block") else "value"


def first_difference(ours: list[dict], theirs: list[dict], where: str = "") -> str | None:
    """Where the table's arguments first part from the server's: order,
    tokens, optional/multiple, nesting."""
    for i in range(max(len(ours), len(theirs))):
        if i >= len(ours):
            return f"{where}{theirs[i]['name']}: only on the server"
        if i >= len(theirs):
            return f"{where}{ours[i]['name']}: only in the table"
        a, b = ours[i], theirs[i]
        for field, get in (("kind", kind_of), ("token", lambda x: (x.get("token") or "").upper() or None),
                           ("optional", lambda x: bool(x.get("optional"))),
                           ("multiple", lambda x: bool(x.get("multiple"))),
                           ("multiple_token", lambda x: bool(x.get("multiple_token")))):
            if get(a) != get(b):
                return (f"{where}{a['name']}: {field} {get(a)!r} in the table, "
                        f"{get(b)!r} on the server ({b['name']})")
        inner = first_difference(a.get("choices", a.get("args", [])),
                                 b.get("choices", b.get("args", [])), f"{where}{a['name']}.")
        if inner:
            return inner
    return None


def compare(url: str) -> tuple[str, dict[str, int], list[str]]:
    """Every difference between the table and the server at `url`."""
    kind, version, server = read_server(url)
    label = f"{kind} {'.'.join(map(str, version))}"
    table: dict[str, dict] = {}
    for group in GROUPS:
        for cmd in read_toml(COMMANDS_DIR / f"{group}.toml").get("command", []):
            table[cmd["name"]] = cmd
    excluded = {e["name"] for e in read_toml(COMMANDS_DIR / "excluded.toml").get("command", [])}
    counts = {"server commands": len(server), "compared": 0, "missing": 0,
              "availability": 0, "arity": 0, "flags": 0, "keys": 0, "arguments": 0}
    diffs: list[str] = []

    def diff(what: str, text: str) -> None:
        counts[what] += 1
        diffs.append(f"{label}: {text}")

    for name in sorted(server):
        spec = server[name]
        cmd = table.get(name)
        if cmd is None:
            if name not in excluded:
                diff("missing", f"{name}: the server has it; neither in the table nor excluded")
            continue
        counts["compared"] += 1
        if not has_it(cmd, kind, version):
            diff("availability", f"{name}: the server has it, the table says it does not")
        arity = cmd.get("valkey_arity", cmd.get("arity")) if kind == "valkey" else cmd.get("arity")
        if arity != spec["arity"]:
            diff("arity", f"{name}: arity {arity} in the table, {spec['arity']} on the server")
        theirs = {SERVER_FLAGS[f] for f in spec["command_flags"] if f in SERVER_FLAGS}
        ours = server_flags_of(cmd, kind)
        if theirs != ours:
            diff("flags", f"{name}: flags {sorted(ours)} in the table, {sorted(theirs)} on the "
                          f"server (only in the table: {sorted(ours - theirs)}, only on the "
                          f"server: {sorted(theirs - ours)})")
        keys = json_keys(spec)
        if keys is not None and keys != (cmd.get("keys") or []):
            diff("keys", f"{name}: keys {cmd.get('keys')} in the table, {keys} from the server")
        server_args = [json_arg(a, False, name) for a in spec["arguments"]]
        where = first_difference(cmd.get("args", []), server_args)
        if where:
            diff("arguments", f"{name}: arguments differ from the server's at {where}")
    for name, cmd in sorted(table.items()):
        if name not in server and has_it(cmd, kind, version) and cmd.get("_group") != "sentinel":
            diff("availability", f"{name}: the table says the server has it; it does not")
    return label, counts, diffs


def run_live_check(urls: list[str]) -> int:
    """Prints every difference and a count line per server; 1 if any."""
    problems = 0
    for url in urls:
        label, counts, diffs = compare(url)
        for d in diffs:
            print(d)
        found = sum(v for k, v in counts.items() if k not in ("server commands", "compared"))
        problems += found
        detail = ", ".join(f"{v} {k}" for k, v in counts.items()
                           if k not in ("server commands", "compared"))
        print(f"{label}: {counts['server commands']} server commands, {counts['compared']} "
              f"compared with the table; differences: {detail}")
    return 1 if problems else 0


def live_reference(url: str) -> dict[str, dict]:
    """The server's commands in the JSON files' form, for a refresh."""
    return read_server(url)[2]

