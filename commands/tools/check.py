"""Validation of the spec table against the rules in commands/FORMAT.md.

Used by `generate.py --check`. Every problem is collected and printed with the
file and command it concerns, so one run shows everything to fix.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from generate import (FLAG_ORDER, GROUPS, OUR_ARG_TYPES, RUST_KEYWORDS,
                      default_method)

CONCRETE = {"()", "bool", "i64", "u64", "f64", "String", "Value", "Bytes"}
# Reply types of tornadis::value with a fixed meaning (model/reply.rs NAMED).
NAMED = {"FieldExpire", "FieldPersist", "FieldTtl", "EntryDeletion", "PendingSummary", "PendingEntry"}
# Generic ones, with one type argument (model/reply.rs GENERIC).
GENERIC = {"StreamEntry", "StreamKey", "AutoClaim"}
VERSION = re.compile(r"\d+\.\d+\.\d+")
# Valkey forked from this Redis version: it has everything Redis had then.
VALKEY_FIRST = (7, 2, 4)
COMMAND_FIELDS = {"name", "method", "summary", "doc", "since", "arity", "flags",
                  "keys", "reply", "deprecated", "skip_method", "blocking_timeout",
                  "args", "variant", "plain_reply", "single", "as_args", "without",
                  "connection", "state", "request_policy", "response_policy",
                  "stored_procedure", "redis", "valkey", "valkey_flags", "valkey_arity"}
SHAPE_FIELDS = {"plain_reply", "single", "as_args", "without"}
VARIANT_FIELDS = {"method", "with", "required", "reply", "summary", "doc"} | SHAPE_FIELDS
ARG_FIELDS = {"name", "type", "token", "optional", "multiple", "multiple_token",
              "since", "display", "choices", "args", "redis", "valkey", "counts", "shared", "as_value", "shortcuts"}
# Words too common to say anything about whether two summaries are alike.
STOPWORDS = {"a", "an", "the", "of", "to", "in", "or", "and", "is", "are", "if",
             "it", "its", "for", "by", "on", "at", "as", "be", "from", "with",
             "that", "this", "one", "more", "all", "when", "which", "s"}
# A summary sharing more than this share of its words with the reference's is
# a rewording, not our own description.
MAX_OVERLAP = 0.45


class Reply:
    """Recursive-descent parser for the reply grammar; raises ValueError."""

    def __init__(self, text: str):
        self.tokens = re.findall(r"[A-Za-z_][A-Za-z0-9_]*|\(\)|[<>(),]", text)
        if "".join(self.tokens) != re.sub(r"\s+", "", text):
            raise ValueError(f"unexpected characters in {text!r}")
        self.pos = 0

    def parse(self) -> None:
        self.ty()
        if self.pos != len(self.tokens):
            raise ValueError(f"trailing input after {self.tokens[:self.pos]}")

    def next(self) -> str:
        if self.pos >= len(self.tokens):
            raise ValueError("unexpected end")
        tok = self.tokens[self.pos]
        self.pos += 1
        return tok

    def expect(self, tok: str) -> None:
        got = self.next()
        if got != tok:
            raise ValueError(f"expected {tok!r}, found {got!r}")

    def ty(self) -> None:
        tok = self.next()
        if tok in CONCRETE or tok in NAMED or re.fullmatch(r"[A-Z]", tok):
            return
        if tok in ("Option", "Vec", "Set") or tok in GENERIC:
            self.expect("<")
            self.ty()
            self.expect(">")
        elif tok in ("Map", "Pairs"):
            self.expect("<")
            self.ty()
            self.expect(",")
            self.ty()
            self.expect(">")
        elif tok == "(":
            self.ty()
            count = 1
            while self.next() == ",":
                self.ty()
                count += 1
            self.pos -= 1
            self.expect(")")
            if count < 2:
                raise ValueError("a tuple needs at least two members")
        else:
            raise ValueError(f"unknown type {tok!r}")


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS}


def overlap(ours: str, theirs: str) -> float:
    a, b = words(ours), words(theirs)
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def tokens_of(args: list[dict]) -> set[str]:
    out = set()
    for a in args:
        if "token" in a:
            out.add(a["token"].upper())
        out |= tokens_of(a.get("choices", []))
        out |= tokens_of(a.get("args", []))
    return out


def arg_names(args: list[dict]) -> set[str]:
    out = set()
    for a in args:
        out.add(a["name"])
        out |= arg_names(a.get("args", []))
        out |= arg_names(a.get("choices", []))
    return out


def optional_names(args: list[dict], inside_optional: bool = False) -> set[str]:
    """Names of arguments a caller may leave out (directly or through a block)."""
    out = set()
    for a in args:
        optional = inside_optional or a.get("optional", False)
        if optional:
            out.add(a["name"])
        out |= optional_names(a.get("args", []), optional)
    return out


def check_args(args, where: str, errors: list[str], in_choices: bool = False) -> None:
    if not isinstance(args, list):
        errors.append(f"{where}: args must be a list")
        return
    for a in args:
        if not isinstance(a, dict) or "name" not in a:
            errors.append(f"{where}: an argument without a name")
            continue
        here = f"{where} arg {a['name']!r}"
        if not re.fullmatch(r"[a-z0-9][a-z0-9\-]*", a["name"]):
            errors.append(f"{here}: name must be lower case with '-'")
        for field in set(a) - ARG_FIELDS:
            errors.append(f"{here}: unknown field {field!r}")
        if in_choices and a.get("optional"):
            errors.append(f"{here}: a choice cannot be optional (make the oneof optional)")
        kind = a.get("type")
        if kind is None:
            if not in_choices or "token" not in a:
                errors.append(f"{here}: a type is required (except for a pure-token choice)")
            continue
        if kind not in OUR_ARG_TYPES:
            errors.append(f"{here}: unknown type {kind!r}")
        if kind == "token" and "token" not in a:
            errors.append(f"{here}: type token needs a token")
        if kind == "oneof":
            if not a.get("choices"):
                errors.append(f"{here}: oneof needs choices")
            check_args(a.get("choices", []), here, errors, in_choices=True)
        elif "choices" in a:
            errors.append(f"{here}: choices only belong to oneof")
        if kind == "block":
            if not a.get("args"):
                errors.append(f"{here}: block needs args")
            check_args(a.get("args", []), here, errors)
        elif "args" in a:
            errors.append(f"{here}: args only belong to block")
        if a.get("multiple_token") and not a.get("token"):
            errors.append(f"{here}: multiple_token without a token")
        for field in ("redis", "valkey", "since"):
            if field in a and not VERSION.fullmatch(str(a[field])):
                errors.append(f"{here}: {field} must be a version like 7.4.0")
        if "counts" in a:
            check_counts(a, args, here, errors)


def check_counts(a: dict, siblings: list, here: str, errors: list[str]) -> None:
    """`counts` names the list right after it (FORMAT.md "Arguments")."""
    if a.get("type") != "integer" or a.get("optional") or a.get("multiple") or "token" in a:
        errors.append(f"{here}: counts belongs on a required integer without a token")
    names = [s.get("name") for s in siblings]
    i = names.index(a["name"])
    nxt = siblings[i + 1] if i + 1 < len(siblings) else None
    if nxt is None or nxt.get("name") != a["counts"]:
        errors.append(f"{here}: counts {a['counts']!r} is not the argument right after it")
    elif not nxt.get("multiple") or nxt.get("optional") or "token" in nxt:
        errors.append(f"{here}: counts needs {a['counts']!r} to be a required list without a token")


def version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def check_availability(cmd: dict, where: str, errors: list[str]) -> None:
    """FORMAT.md "Availability": which servers have the command."""
    for field in ("redis", "valkey"):
        if field in cmd and not VERSION.fullmatch(str(cmd[field])):
            errors.append(f"{where}: {field} must be a version like 7.4.0")
            return
    since = str(cmd.get("since", "0.0.0"))
    if not VERSION.fullmatch(since):
        return
    if "redis" in cmd or "valkey" in cmd:
        first = cmd.get("redis", cmd.get("valkey"))
        if first != since:
            errors.append(f"{where}: since must be the first version of the first server "
                          f"kind with the command ({first})")
    elif version(since) > VALKEY_FIRST:
        errors.append(f"{where}: since {since} is newer than Valkey's fork: "
                      "say which servers have it with redis and/or valkey")


def check_keys(keys, where: str, errors: list[str]) -> None:
    forms = [{"first"}, {"first", "last", "step"}, {"numkeys", "first", "step"},
             {"keyword", "from", "count"}]
    for k in keys if isinstance(keys, list) else [keys]:
        if not isinstance(k, dict) or set(k) not in forms:
            errors.append(f"{where}: bad key spec {k!r}")
            continue
        ints = [v for f, v in k.items() if f != "keyword"]
        if not all(isinstance(v, int) for v in ints):
            errors.append(f"{where}: key spec {k!r} needs integers")
        elif k.get("first", 1) < 0 or k.get("from", 1) < 1 or k.get("step", 1) < 1:
            errors.append(f"{where}: key spec {k!r} out of range")


def check_method(method, where: str, seen: dict[str, str], errors: list[str]) -> None:
    if not isinstance(method, str) or not re.fullmatch(r"[a-z_][a-z0-9_]*", method):
        errors.append(f"{where}: method {method!r} is not a plain snake_case identifier")
    elif method.endswith("_with"):
        errors.append(f"{where}: method {method!r}: the suffix _with is reserved for the options form")
    elif method in RUST_KEYWORDS:
        errors.append(f"{where}: method {method!r} is a Rust keyword")
    elif method in seen:
        errors.append(f"{where}: method {method!r} already used by {seen[method]}")
    else:
        seen[method] = where


def check_reply(reply, where: str, errors: list[str]) -> None:
    try:
        Reply(reply).parse()
    except (ValueError, TypeError) as e:
        errors.append(f"{where}: reply {reply!r} does not parse: {e}")


def check_summary(text, ref: str | None, where: str, errors: list[str]) -> None:
    if not isinstance(text, str) or len(text.strip()) < 10:
        errors.append(f"{where}: a summary of our own is required")
    elif ref is not None and overlap(text, ref) > MAX_OVERLAP:
        errors.append(f"{where}: summary too close to the reference's "
                      f"({overlap(text, ref):.0%} of words shared); write it afresh")


def check_command(cmd: dict, where: str, reference: dict, seen: dict[str, str],
                  errors: list[str]) -> None:
    name = cmd.get("name", "")
    for field in ("name", "summary", "since", "arity", "reply"):
        if field not in cmd:
            errors.append(f"{where}: missing {field}")
    for field in set(cmd) - COMMAND_FIELDS:
        errors.append(f"{where}: unknown field {field!r}")
    if name != name.upper() or not re.fullmatch(r"[A-Z0-9_\-]+( [A-Z0-9_\-]+)?", name):
        errors.append(f"{where}: name must be upper case, one space before a subcommand")
    ref = reference.get(name, {}).get("summary") if reference else None
    check_summary(cmd.get("summary"), ref, where, errors)
    if not isinstance(cmd.get("arity"), int) or cmd.get("arity") == 0:
        errors.append(f"{where}: arity must be a non-zero integer")
    if not re.fullmatch(r"\d+\.\d+\.\d+", str(cmd.get("since", ""))):
        errors.append(f"{where}: since must be a version like 7.0.0")
    for flag in cmd.get("flags", []):
        if flag not in FLAG_ORDER:
            errors.append(f"{where}: unknown flag {flag!r}")
    check_keys(cmd.get("keys", []), where, errors)
    check_availability(cmd, where, errors)
    for edit in cmd.get("valkey_flags", []):
        if edit[:1] not in "+-" or edit[1:] not in FLAG_ORDER:
            errors.append(f"{where}: valkey_flags entry {edit!r} is not +flag or -flag")
    check_args(cmd.get("args", []), where, errors)
    if "reply" in cmd:
        check_reply(cmd["reply"], where, errors)
    if not cmd.get("skip_method"):
        check_method(cmd.get("method", default_method(name)), where, seen, errors)
    names = arg_names(cmd.get("args", []))
    timeout = cmd.get("blocking_timeout")
    if timeout is not None:
        if timeout.removesuffix(":ms") not in names:
            errors.append(f"{where}: blocking_timeout names no argument: {timeout!r}")
        if "blocking" not in cmd.get("flags", []):
            errors.append(f"{where}: blocking_timeout without the blocking flag")
    check_routing(cmd, where, errors)
    tokens = tokens_of(cmd.get("args", []))
    if cmd.get("skip_method") and SHAPE_FIELDS & set(cmd):
        errors.append(f"{where}: a skip_method command has no method to shape")
    else:
        check_shape(cmd, cmd, where, errors)
    for i, var in enumerate(cmd.get("variant", [])):
        here = f"{where} variant {var.get('method', i)!r}"
        for field in set(var) - VARIANT_FIELDS:
            errors.append(f"{here}: unknown field {field!r}")
        for field in ("method", "reply", "summary"):
            if field not in var:
                errors.append(f"{here}: missing {field}")
        check_method(var.get("method"), here, seen, errors)
        check_reply(var.get("reply", ""), here, errors)
        check_summary(var.get("summary"), ref, here, errors)
        for arg in var.get("required", []):
            if arg not in optional_names(cmd.get("args", [])):
                errors.append(f"{here}: required {arg!r} is not an optional argument")
        for tok in var.get("with", []):
            if tok.upper() not in tokens:
                errors.append(f"{here}: with {tok!r} is not a token of the command")
        check_shape(var, cmd, here, errors)


def check_shape(method: dict, cmd: dict, where: str, errors: list[str]) -> None:
    """The method shape fields (FORMAT.md "Method shapes") of a command or variant.

    The macro checks the details against the method's arguments; this catches
    names that point nowhere and fields of the wrong form.
    """
    args = cmd.get("args", [])
    lists = {a["name"] for a in args if a.get("multiple") and "name" in a}
    for field in ("single", "as_args", "without"):
        value = method.get(field, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors.append(f"{where}: {field} must be a list of strings")
            return
    for field in ("single", "as_args"):
        for name in method.get(field, []):
            if name not in lists:
                errors.append(f"{where}: {field} {name!r} is not a top-level list argument")
    for name in set(method.get("single", [])) & set(method.get("as_args", [])):
        errors.append(f"{where}: {name!r} is in both single and as_args")
    tokens = tokens_of(args)
    for w in method.get("without", []):
        if w not in optional_names(args) and w.upper() not in tokens:
            errors.append(f"{where}: without {w!r} is neither an optional argument nor a token")
    if "plain_reply" in method:
        check_reply(method["plain_reply"], where, errors)


def run_check(commands_dir: Path, reference: dict[str, dict]) -> int:
    """Validates the table; `reference` (may be empty) also checks coverage
    and that no summary rewords the reference's."""
    errors: list[str] = []
    seen_methods: dict[str, str] = {}
    seen_names: dict[str, str] = {}
    counts = {"commands": 0, "methods": 0, "variants": 0, "skipped": 0}
    for group in GROUPS:
        path = commands_dir / f"{group}.toml"
        if not path.exists():
            errors.append(f"{path.name}: missing")
            continue
        try:
            data = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as e:
            errors.append(f"{path.name}: {e}")
            continue
        if data.get("group") != group:
            errors.append(f"{path.name}: group must be {group!r}")
        for cmd in data.get("command", []):
            name = cmd.get("name", "?")
            where = f"{path.name} {name}"
            if name in seen_names:
                errors.append(f"{where}: also in {seen_names[name]}")
            seen_names[name] = path.name
            check_command(cmd, where, reference, seen_methods, errors)
            counts["commands"] += 1
            counts["skipped" if cmd.get("skip_method") else "methods"] += 1
            counts["variants"] += len(cmd.get("variant", []))
    excluded_path = commands_dir / "excluded.toml"
    excluded = tomllib.loads(excluded_path.read_text()) if excluded_path.exists() else {}
    for ex in excluded.get("command", []):
        if not ex.get("why"):
            errors.append(f"excluded.toml {ex.get('name')}: a why is required")
        if ex.get("name") in seen_names:
            errors.append(f"excluded.toml {ex.get('name')}: also in {seen_names[ex['name']]}")
    if reference:
        known = set(seen_names) | {e.get("name") for e in excluded.get("command", [])}
        for name in sorted(set(reference) - known):
            errors.append(f"{name}: in the reference but neither in the table nor excluded")
    for e in errors:
        print(e)
    print(f"{counts['commands']} commands ({counts['methods']} with methods, "
          f"{counts['skipped']} metadata only), {counts['variants']} variants, "
          f"{len(excluded.get('command', []))} excluded; {len(errors)} problems")
    return 1 if errors else 0


ROUTING_VALUES = {
    "connection": {"own", "takeover"},
    "state": {"transaction", "transaction_end", "db", "session"},
    "request_policy": {"all_nodes", "all_shards", "multi_shard", "special"},
    "response_policy": {"one_succeeded", "all_succeeded", "agg_logical_and",
                        "agg_logical_or", "agg_min", "agg_max", "agg_sum", "special"},
}


def check_routing(cmd: dict, where: str, errors: list[str]) -> None:
    """The routing fields (FORMAT.md "Routing") hold known values."""
    for field, known in ROUTING_VALUES.items():
        value = cmd.get(field)
        if value is not None and value not in known:
            errors.append(f"{where}: {field} = {value!r} is not one of {sorted(known)}")
    if "state" in cmd and "connection_state" not in cmd.get("flags", []):
        errors.append(f"{where}: state is for connection_state commands")
