#!/usr/bin/env python3
"""Build, refresh and check the command spec table in commands/*.toml.

    generate.py REFERENCE_DIR            refresh the table from Redis's command JSON files
    generate.py --live URL               refresh it from a running server's COMMAND DOCS/INFO
    generate.py --check [REFERENCE_DIR]  validate the table (see commands/FORMAT.md)
    generate.py --check --live URL ...   and report where each live server disagrees

The JSON files (one per command, as found in the Redis source tree under
src/commands/) supply the structural facts: since, arity, flags, key specs and
arguments. Everything a person wrote by hand survives a refresh: summary,
method, reply, doc, variants, skip_method, deprecated, blocking_timeout,
connection, state, stored_procedure and the
flags that are ours rather than the server's. The JSON files themselves are
only read, never copied into the repository.

Standard library only (Python 3.11: tomllib reads TOML; writing is done here,
because the table's layout is part of its readability).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tomllib
from pathlib import Path

COMMANDS_DIR = Path(__file__).resolve().parent.parent

GROUPS = [
    "string", "hash", "list", "set", "sorted-set", "stream", "geo",
    "hyperloglog", "bitmap", "generic", "scripting", "pubsub", "transactions",
    "connection", "server", "cluster", "sentinel", "vector",
]
# Groups whose file is named differently from the server's group.
GROUP_FILES = {"vector_set": "vector"}

# Server flags, as COMMAND INFO and the JSON files spell them, to ours.
SERVER_FLAGS = {
    "READONLY": "readonly", "WRITE": "write", "BLOCKING": "blocking",
    "PUBSUB": "pubsub", "NOSCRIPT": "noscript", "FAST": "fast",
    "ADMIN": "admin", "DENYOOM": "denyoom", "LOADING": "loading",
    "STALE": "stale", "NO_AUTH": "no_auth", "ALLOW_BUSY": "allow_busy",
}
# Flags no server reports; a refresh keeps them where a person put them.
OUR_FLAGS = ["connection_state", "cacheable", "nondeterministic", "all_nodes"]
FLAG_ORDER = [
    "readonly", "write", "blocking", "pubsub", "noscript", "fast", "admin",
    "denyoom", "loading", "stale", "no_auth", "connection_state", "cacheable",
    "nondeterministic", "allow_busy", "all_nodes",
]

# Defaults for our own flags, applied on every refresh (in addition to any a
# person added). They encode knowledge the JSON files do not carry.
CONNECTION_STATE = {
    "REPLCONF", "SELECT", "MULTI", "EXEC", "DISCARD", "WATCH", "UNWATCH", "SUBSCRIBE",
    "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE", "SUNSUBSCRIBE",
    "CLIENT REPLY", "CLIENT TRACKING", "CLIENT CACHING", "MONITOR", "RESET",
    "HELLO", "AUTH", "READONLY", "READWRITE", "QUIT", "SYNC", "PSYNC",
    "ASKING", "SCRIPT DEBUG",
}
PUBSUB = {
    "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE", "UNSUBSCRIBE", "PUNSUBSCRIBE",
    "SUNSUBSCRIBE", "PUBLISH", "SPUBLISH",
}
ALL_NODES = {
    "FLUSHALL", "FLUSHDB", "SCRIPT LOAD", "SCRIPT FLUSH", "SCRIPT KILL",
    "FUNCTION LOAD", "FUNCTION FLUSH", "FUNCTION DELETE", "FUNCTION RESTORE",
    "FUNCTION KILL", "CONFIG SET", "CONFIG RESETSTAT", "CONFIG REWRITE",
    "SLOWLOG RESET", "COMMANDLOG RESET", "LATENCY RESET", "MEMORY PURGE", "ACL SETUSER",
    "ACL DELUSER", "ACL LOAD", "ACL SAVE", "CLIENT PAUSE", "CLIENT UNPAUSE",
}
# Read-only key commands whose reply depends only on the key's value.
CACHEABLE = {
    "GET", "GETRANGE", "SUBSTR", "STRLEN", "MGET", "LCS", "GETBIT", "BITCOUNT",
    "BITPOS", "BITFIELD_RO", "HGET", "HMGET", "HGETALL", "HKEYS", "HVALS",
    "HLEN", "HEXISTS", "HSTRLEN", "LRANGE", "LINDEX", "LLEN", "LPOS",
    "SMEMBERS", "SISMEMBER", "SMISMEMBER", "SCARD", "SINTER", "SUNION",
    "SDIFF", "SINTERCARD", "ZRANGE", "ZRANGEBYSCORE", "ZRANGEBYLEX",
    "ZREVRANGE", "ZREVRANGEBYSCORE", "ZREVRANGEBYLEX", "ZSCORE", "ZMSCORE",
    "ZRANK", "ZREVRANK", "ZCARD", "ZCOUNT", "ZLEXCOUNT", "GEOPOS", "GEODIST",
    "GEOHASH", "GEOSEARCH", "XRANGE", "XREVRANGE", "XLEN", "EXISTS", "TYPE",
}
# Not cacheable although read-only: SORT_RO's BY and GET options read keys
# that no key spec names, so the server would not invalidate its replies.
# Arguments holding the blocking timeout (defaults for new commands).
BLOCKING_TIMEOUT = {
    "BLPOP": "timeout", "BRPOP": "timeout", "BLMOVE": "timeout",
    "BRPOPLPUSH": "timeout", "BLMPOP": "timeout", "BZPOPMIN": "timeout",
    "BZPOPMAX": "timeout", "BZMPOP": "timeout", "XREAD": "milliseconds:ms",
    "XREADGROUP": "milliseconds:ms", "WAIT": "timeout:ms",
    "WAITAOF": "timeout:ms",
}
# Which connection a command needs (FORMAT.md "Routing"): "own" counts what
# earlier commands did on the same connection; "takeover" turns it into a
# stream or stops its replies, so a request/reply client never sends it.
CONNECTION_USE = {
    "WAIT": "own", "WAITAOF": "own",
    "MONITOR": "takeover", "SUBSCRIBE": "takeover", "PSUBSCRIBE": "takeover",
    "SSUBSCRIBE": "takeover", "UNSUBSCRIBE": "takeover", "PUNSUBSCRIBE": "takeover",
    "SUNSUBSCRIBE": "takeover", "CLIENT REPLY": "takeover", "PSYNC": "takeover",
    "SYNC": "takeover", "REPLCONF": "takeover",
}
# What a connection_state command changes, which says how to undo it
# (anything not listed is "session": only a new connection undoes it).
# "transaction_end" ends a transaction once answered (the client then knows
# the connection holds none).
STATE = {
    "MULTI": "transaction", "WATCH": "transaction", "EXEC": "transaction_end",
    "DISCARD": "transaction_end", "UNWATCH": "transaction_end", "SELECT": "db",
}
# Blocking only through an option, so the server does not flag them.
BLOCKING_EXTRA = {"XREAD", "XREADGROUP", "WAIT", "WAITAOF"}

# Containers that are also commands when called without a subcommand.
CALLABLE_CONTAINERS = {"COMMAND"}

RUST_KEYWORDS = {
    "as", "break", "const", "continue", "crate", "else", "enum", "extern",
    "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod",
    "move", "mut", "pub", "ref", "return", "self", "Self", "static", "struct",
    "super", "trait", "true", "type", "unsafe", "use", "where", "while",
    "async", "await", "dyn", "abstract", "become", "box", "do", "final",
    "macro", "override", "priv", "typeof", "unsized", "virtual", "yield", "try",
    "gen",
}

ARG_TYPES = {
    "key": "key", "string": "value", "pattern": "pattern", "integer": "integer",
    "double": "double", "unix-time": "unix-time", "pure-token": "token",
    "oneof": "oneof", "block": "block",
}
OUR_ARG_TYPES = set(ARG_TYPES.values())

# Argument names the JSON uses that read badly in Rust or collide with names
# the generated code uses: (command, JSON name) -> our name.
ARG_RENAMES = {
    ("CLUSTER FAILOVER", "options"): "mode",
    ("HRANDFIELD", "options"): "sample",
    ("ZRANDMEMBER", "options"): "sample",
}

# Fields a person curates; a refresh carries them over unchanged.
CURATED = ["method", "summary", "doc", "deprecated", "skip_method",
           "blocking_timeout", "reply", "plain_reply", "single", "as_args", "without",
           "connection", "state", "stored_procedure", "redis", "valkey", "valkey_flags",
           "valkey_arity"]
# Argument fields a person writes (availability, computed counts); a refresh
# keeps them on the argument of the same name.
CURATED_ARG = ["redis", "valkey", "counts", "shared", "as_value", "shortcuts"]


# ---------------------------------------------------------------- reading JSON

def load_reference(ref_dir: Path) -> dict[str, dict]:
    """All commands and subcommands by full name ("CLIENT KILL")."""
    out: dict[str, dict] = {}
    containers: set[str] = set()
    for path in sorted(ref_dir.glob("*.json")):
        for name, spec in json.loads(path.read_text()).items():
            if "container" in spec:
                containers.add(spec["container"])
                name = f"{spec['container']} {name}"
            out[name] = spec
    for container in containers - CALLABLE_CONTAINERS:
        out.pop(container, None)
    return out


def group_file(spec: dict) -> str:
    group = spec["group"]
    return GROUP_FILES.get(group, group.replace("_", "-"))


def default_method(name: str) -> str:
    method = re.sub(r"[ \-]", "_", name.lower())
    return method + "_key" if method in RUST_KEYWORDS else method


def json_flags(name: str, spec: dict) -> list[str]:
    flags = {SERVER_FLAGS[f] for f in spec.get("command_flags", []) if f in SERVER_FLAGS}
    tips = spec.get("command_tips", [])
    if "NONDETERMINISTIC_OUTPUT" in tips:
        flags.add("nondeterministic")
    if name in CONNECTION_STATE:
        flags.add("connection_state")
    if name in PUBSUB:
        flags.add("pubsub")
    if name in ALL_NODES:
        flags.add("all_nodes")
    if name in CACHEABLE:
        flags.add("cacheable")
    if name in BLOCKING_EXTRA:
        flags.add("blocking")
    return sorted(flags, key=FLAG_ORDER.index)


def json_policies(spec: dict) -> dict:
    """The cluster's request and response policies, from the server's command tips."""
    out = {}
    for tip in spec.get("command_tips", []):
        kind, _, value = tip.partition(":")
        if kind == "REQUEST_POLICY":
            out["request_policy"] = value.lower()
        elif kind == "RESPONSE_POLICY":
            out["response_policy"] = value.lower()
    return out


def fixed_args(spec: dict) -> int:
    """How many arguments always come before any optional one."""
    count = 0
    for arg in spec.get("arguments", []):
        if arg.get("optional"):
            break
        count += 1
    return count


def json_keys(spec: dict) -> list[dict] | None:
    """Our key specs, or None when the JSON cannot say (SORT: `unknown`)."""
    out = []
    for ks in spec.get("key_specs", []):
        begin, find = ks["begin_search"], ks["find_keys"]
        if "unknown" in begin or "unknown" in find:
            return None
        if "index" in begin:
            pos = begin["index"]["pos"]
            if "range" in find:
                r = find["range"]
                last = r["lastkey"]
                if last == 0:
                    out.append({"first": pos})
                elif last < 0:
                    out.append({"first": pos, "last": last, "step": r["step"]})
                else:
                    out.append({"first": pos, "last": pos + last, "step": r["step"]})
            else:
                k = find["keynum"]
                out.append({"numkeys": pos + k["keynumidx"], "first": k["firstkey"],
                            "step": k["step"]})
        else:
            kw = begin["keyword"]
            r = find.get("range")
            if r is None:
                return None
            if r["lastkey"] == 0:
                count = 1
            elif r["lastkey"] == -1:
                count = -r["limit"] if r["limit"] > 1 else -1
            else:
                count = r["lastkey"] + 1
            # A negative start means "search backwards from the end" (MIGRATE
            # KEYS); our form searches forwards, so start after the arguments
            # that are always present, where no value can be mistaken for it.
            start = kw["startfrom"] if kw["startfrom"] > 0 else fixed_args(spec) + 1
            out.append({"keyword": kw["keyword"], "from": start, "count": count})
    # Two specs for the same single key (GET-style read + write) are one for us.
    unique = []
    for k in out:
        if k not in unique:
            unique.append(k)
    return unique


def json_arg(arg: dict, in_choices: bool = False, command: str = "") -> dict:
    name = arg["name"].lower().replace("_", "-").replace(" ", "-")
    out: dict = {"name": ARG_RENAMES.get((command, name), name)}
    kind = ARG_TYPES[arg["type"]]
    if not (in_choices and kind == "token"):
        out["type"] = kind
    if "token" in arg:
        # The JSON files write MIGRATE's empty key as `""`, as typed in a
        # shell; what is sent is an empty argument.
        out["token"] = "" if arg["token"] == '""' else arg["token"]
    elif kind == "token":
        # A few files leave the token out when it equals the name.
        out["token"] = arg["name"].upper()
    for flag in ("optional", "multiple", "multiple_token"):
        # A choice is sent or not as its oneof is; FORMAT.md has no optional choices.
        if arg.get(flag) and not (in_choices and flag == "optional"):
            out[flag] = True
    if "since" in arg:
        out["since"] = arg["since"]
    if "display" in arg and arg["display"] != arg["name"]:
        out["display"] = arg["display"]
    if kind == "oneof":
        out["choices"] = [json_arg(a, True, command) for a in arg.get("arguments", [])]
    elif kind == "block":
        out["args"] = [json_arg(a, False, command) for a in arg.get("arguments", [])]
    return out


def history_since(spec: dict) -> dict[str, str]:
    """Argument tokens or names (upper case) to the version whose history
    entry says it added them ("Added the `WITHSCORE` option")."""
    out: dict[str, str] = {}
    for version, text in spec.get("history") or []:
        if not text.lower().startswith("added"):
            continue
        for word in re.findall(r"`([^`]+)`", text):
            out.setdefault(word.split()[0].upper(), version)
    return out


def apply_since(args: list[dict], added: dict[str, str], floor: str) -> None:
    """Gives arguments without a `since` the version their history names,
    unless their command or enclosing argument (`floor`) already has it."""
    for a in args:
        key = a.get("token", a["name"]).upper()
        if "since" not in a and key in added and added[key] != floor:
            a["since"] = added[key]
        apply_since(a.get("choices", []) + a.get("args", []), added, a.get("since", floor))


def since_only(reference: dict[str, dict]) -> None:
    """Adds argument versions from the reference's history, changing nothing else."""
    for group in GROUPS:
        path = COMMANDS_DIR / f"{group}.toml"
        cmds = read_toml(path).get("command", [])
        for cmd in cmds:
            spec = reference.get(cmd["name"])
            if spec:
                apply_since(cmd.get("args", []), history_since(spec), cmd["since"])
        path.write_text(render_file(group, cmds))


def keep_arg_fields(new: list[dict], old: list[dict]) -> None:
    """Copies the curated argument fields of `old` onto `new`, by name."""
    by_name = {a["name"]: a for a in old}
    for a in new:
        o = by_name.get(a["name"])
        if o is None:
            continue
        for field in CURATED_ARG:
            if field in o:
                a[field] = o[field]
        for sub in ("choices", "args"):
            if sub in a and sub in o:
                keep_arg_fields(a[sub], o[sub])


def guess_reply(schema: dict | None, has_keys: bool) -> str:
    """A first guess from the reply schema; a person refines it."""
    if not schema:
        return "Value"
    if schema.get("const") == "OK":
        return "()"
    for alt in ("anyOf", "oneOf"):
        if alt in schema:
            options = schema[alt]
            nulls = [o for o in options if o.get("type") == "null"]
            rest = [o for o in options if o.get("type") != "null"]
            guesses = {guess_reply(o, has_keys) for o in rest}
            if len(guesses) == 1:
                inner = guesses.pop()
                return f"Option<{inner}>" if nulls else inner
            return "Value"
    kind = schema.get("type")
    if kind == "integer":
        if schema.get("minimum") == 0 and schema.get("maximum") == 1:
            return "bool"
        return "i64"
    if kind == "number":
        return "f64"
    if kind == "string":
        return "V" if has_keys else "String"
    if kind == "null":
        return "Option<Value>"
    if kind == "array":
        items = schema.get("items")
        if isinstance(items, dict):
            inner = guess_reply(items, has_keys)
            if inner in ("V", "String", "i64", "f64"):
                return f"Vec<{inner}>"
        return "Value"
    if kind == "object":
        props = schema.get("patternProperties")
        if props and len(props) == 1:
            inner = guess_reply(next(iter(props.values())), has_keys)
            if inner in ("V", "String", "i64", "f64"):
                return f"Map<String, {inner}>"
        return "Value"
    return "Value"


def deprecation(spec: dict) -> str | None:
    if "DEPRECATED" not in spec.get("doc_flags", []):
        return None
    replaced = spec.get("replaced_by", "")
    replaced = replaced.replace("`", "").replace("!", "")
    return f"Replaced by {replaced}." if replaced else "Deprecated by the server."


# ---------------------------------------------------------- merging with TOML

def build(name: str, spec: dict, old: dict | None) -> dict:
    """One command's table entry: JSON facts, then the curated fields of `old`."""
    keys = json_keys(spec)
    if keys is None:
        keys = (old or {}).get("keys", [{"first": 1}])
    cmd: dict = {
        "name": name,
        "method": default_method(name),
        "summary": "",
        "since": spec.get("since", "0.0.0"),
        "arity": spec["arity"],
        "flags": json_flags(name, spec),
        "keys": keys,
        "reply": guess_reply(spec.get("reply_schema"), bool(keys)),
        "args": [json_arg(a, False, name) for a in spec.get("arguments", [])],
    }
    apply_since(cmd["args"], history_since(spec), cmd["since"])
    if old:
        keep_arg_fields(cmd["args"], old.get("args", []))
    dep = deprecation(spec)
    if dep:
        cmd["deprecated"] = dep
    if name in CONNECTION_STATE:
        cmd["skip_method"] = True
    if name in BLOCKING_TIMEOUT:
        cmd["blocking_timeout"] = BLOCKING_TIMEOUT[name]
    if name in CONNECTION_USE:
        cmd["connection"] = CONNECTION_USE[name]
    if name in STATE:
        cmd["state"] = STATE[name]
    cmd.update(json_policies(spec))
    if old:
        for field in CURATED:
            if field in old:
                cmd[field] = old[field]
        kept = set(cmd["flags"]) | {f for f in old.get("flags", []) if f in OUR_FLAGS}
        if "blocking" in old.get("flags", []):
            kept.add("blocking")
        cmd["flags"] = sorted(kept, key=FLAG_ORDER.index)
        if "variant" in old:
            cmd["variant"] = old["variant"]
    return cmd


def refresh(reference: dict[str, dict]) -> None:
    """Rewrites the table's structural facts from `reference` (the JSON
    files' commands, or a live server's)."""
    excluded = {e["name"] for e in read_toml(COMMANDS_DIR / "excluded.toml").get("command", [])}
    by_group: dict[str, list[dict]] = {g: [] for g in GROUPS}
    old_by_name: dict[str, dict] = {}
    for group in GROUPS:
        for cmd in read_toml(COMMANDS_DIR / f"{group}.toml").get("command", []):
            old_by_name[cmd["name"]] = cmd
    for name in sorted(reference):
        if name in excluded:
            continue
        spec = reference[name]
        by_group[group_file(spec)].append(build(name, spec, old_by_name.pop(name, None)))
    # Commands added by hand that the reference does not know stay as they are.
    for cmd in old_by_name.values():
        group = cmd.get("_group")
        by_group[group].append(cmd)
        by_group[group].sort(key=lambda c: c["name"])
    for group, cmds in by_group.items():
        (COMMANDS_DIR / f"{group}.toml").write_text(render_file(group, cmds))
        print(f"{group}.toml: {len(cmds)} commands")


def read_toml(path: Path) -> dict:
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text())
    group = path.stem
    for cmd in data.get("command", []):
        cmd["_group"] = group
    return data


# ---------------------------------------------------------------- writing TOML

def toml_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def toml_value(v, indent: int) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    if isinstance(v, str):
        return toml_str(v)
    if isinstance(v, dict):
        return inline_table(v, indent)
    if isinstance(v, list):
        if not v:
            return "[]"
        if all(not isinstance(x, (dict, list)) for x in v):
            return "[" + ", ".join(toml_value(x, indent) for x in v) + "]"
        pad = " " * (indent + 2)
        body = "".join(f"{pad}{toml_value(x, indent + 2)},\n" for x in v)
        return "[\n" + body + " " * indent + "]"
    raise TypeError(f"cannot write {v!r}")


def inline_table(d: dict, indent: int) -> str:
    parts = [f"{k} = {toml_value(v, indent)}" for k, v in d.items() if not k.startswith("_")]
    return "{ " + ", ".join(parts) + " }"


FIELD_ORDER = ["name", "method", "summary", "doc", "since", "redis", "valkey", "arity",
               "valkey_arity", "valkey_flags", "flags",
               "keys", "reply", "plain_reply", "single", "as_args", "without",
               "deprecated", "skip_method", "blocking_timeout", "connection", "state",
               "request_policy", "response_policy", "stored_procedure", "args"]


def render_command(cmd: dict) -> str:
    lines = ["[[command]]"]
    for field in FIELD_ORDER:
        if field in cmd:
            value = cmd[field]
            if field == "keys" and value and len(value) == 1:
                lines.append(f"keys = [{inline_table(value[0], 0)}]")
            else:
                lines.append(f"{field} = {toml_value(value, 0)}")
    for extra in sorted(set(cmd) - set(FIELD_ORDER) - {"variant"}):
        if not extra.startswith("_"):
            lines.append(f"{extra} = {toml_value(cmd[extra], 0)}")
    for var in cmd.get("variant", []):
        lines.append("")
        lines.append("[[command.variant]]")
        for k, v in var.items():
            lines.append(f"{k} = {toml_value(v, 0)}")
    return "\n".join(lines) + "\n"


def render_file(group: str, cmds: list[dict]) -> str:
    head = (f"# The {group} commands. Structural facts are refreshed by tools/generate.py;\n"
            "# summaries, methods, replies and variants are written by hand (see README.md).\n\n"
            f"group = {toml_str(group)}\n")
    # The group's overview (its documentation page) is written by hand: keep it.
    doc = read_toml(COMMANDS_DIR / f"{group}.toml").get("doc")
    if doc is not None:
        head += f"doc = '''\n{doc.strip()}\n'''\n"
    return head + "".join("\n" + render_command(c) for c in cmds)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from check import run_check  # noqa: E402  (kept apart: one concern per file)
    from live import live_reference, run_live_check  # noqa: E402

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reference", nargs="?", type=Path,
                        help="directory of Redis command JSON files")
    parser.add_argument("--check", action="store_true", help="validate the table")
    parser.add_argument("--since-only", action="store_true",
                        help="only add argument versions from the reference's history")
    parser.add_argument("--live", action="append", default=[], metavar="URL",
                        help="a running server (redis://host:port): refresh from its "
                             "COMMAND DOCS/INFO, or with --check compare the table with "
                             "it (repeatable: one of each kind)")
    ns = parser.parse_args()
    if ns.reference and ns.live and not ns.check:
        parser.error("refresh from either a JSON directory or one live server")
    if ns.check:
        reference = load_reference(ns.reference) if ns.reference else {}
        status = run_check(COMMANDS_DIR, reference)
        if ns.live:
            status |= run_live_check(ns.live)
        sys.exit(status)
    if ns.live:
        if len(ns.live) > 1:
            parser.error("refresh from one live server at a time")
        reference = live_reference(ns.live[0])
    elif ns.reference:
        reference = load_reference(ns.reference)
    else:
        parser.error("a reference directory or --live URL is required to refresh")
    if ns.since_only:
        since_only(reference)
    else:
        refresh(reference)
