"""A small YAML-subset loader and emitter (Python standard library only).

Why: the API-server double must read manifests/crds/*.yaml and write kubeconfigs
on machines without PyYAML.  This module handles the subset those files use:

  * block mappings and block sequences (including "- key: value" items and a
    sequence written at the same indent as its parent key),
  * plain, 'single' and "double" quoted scalars; null/~, true/false, ints,
    floats; plain scalars continued on more-indented lines (folded with spaces),
  * literal (|) and folded (>) block scalars with -/+ chomping,
  * single-line flow collections: [a, "b"], {k: v}, [] and {},
  * comments (# at line start or after whitespace) and documents split by ---.

Not supported (a YamlError names the line): anchors/aliases (&a, *a), tags (!!str),
multi-line flow collections, complex keys (? ...), tabs for indentation.
"""

import json
import re

__all__ = ["YamlError", "load_all", "load", "dump"]


class YamlError(ValueError):
    """Malformed or unsupported YAML; the message names the 1-based line."""


_INT_RE = re.compile(r"^[-+]?(0|[1-9][0-9]*)$")
_FLOAT_RE = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")


def _strip_comment(text):
    """Remove a trailing comment that is outside quotes."""
    quote = None
    i = 0
    while i < len(text):
        c = text[i]
        if quote:
            if quote == '"' and c == "\\":
                i += 2
                continue
            if c == quote:
                if quote == "'" and i + 1 < len(text) and text[i + 1] == "'":
                    i += 2
                    continue
                quote = None
        elif c in "\"'" and (i == 0 or text[i - 1] in " \t[{,:-"):
            quote = c
        elif c == "#" and (i == 0 or text[i - 1] in " \t"):
            return text[:i].rstrip()
        i += 1
    return text.rstrip()


def _plain_scalar(s):
    if s in ("", "~", "null", "Null", "NULL"):
        return None
    if s in ("true", "True", "TRUE"):
        return True
    if s in ("false", "False", "FALSE"):
        return False
    if _INT_RE.match(s):
        return int(s)
    if _FLOAT_RE.match(s) and any(ch.isdigit() for ch in s):
        return float(s)
    if s in (".inf", "+.inf", ".Inf"):
        return float("inf")
    if s in ("-.inf", "-.Inf"):
        return float("-inf")
    return s


def _quote_open(s):
    """True when s starts a quoted scalar that does not close on this text (a
    flow scalar continued on the next lines, as kubectl folds long strings)."""
    q, i = s[0], 1
    while i < len(s):
        c = s[i]
        if q == '"' and c == "\\":
            i += 2
            continue
        if c == q:
            if q == "'" and i + 1 < len(s) and s[i + 1] == "'":
                i += 2
                continue
            return False
        i += 1
    return True


def _double_quoted(s, lineno):
    # JSON escapes are a subset of YAML double-quoted escapes; map the YAML-only ones.
    body = s[1:-1]
    out = []
    i = 0
    simple = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "/": "/",
              "0": "\0", "b": "\b", "f": "\f", " ": " ", "e": "\x1b", "a": "\x07"}
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        if i + 1 >= len(body):
            raise YamlError("line %d: dangling backslash in quoted string" % lineno)
        e = body[i + 1]
        if e in simple:
            out.append(simple[e])
            i += 2
        elif e in "xuU":
            n = {"x": 2, "u": 4, "U": 8}[e]
            hexs = body[i + 2:i + 2 + n]
            try:
                out.append(chr(int(hexs, 16)))
            except ValueError:
                raise YamlError("line %d: bad escape \\%s%s" % (lineno, e, hexs)) from None
            i += 2 + n
        else:
            raise YamlError("line %d: unknown escape \\%s" % (lineno, e))
    return "".join(out)


def _scalar(s, lineno):
    s = s.strip()
    if not s:
        return None
    if s[0] in "&*!|>@`%":
        raise YamlError("line %d: unsupported YAML construct %r (anchors, aliases, tags)" % (lineno, s))
    if s[0] == '"':
        if len(s) < 2 or s[-1] != '"':
            raise YamlError("line %d: unterminated double-quoted string" % lineno)
        return _double_quoted(s, lineno)
    if s[0] == "'":
        if len(s) < 2 or s[-1] != "'":
            raise YamlError("line %d: unterminated single-quoted string" % lineno)
        return s[1:-1].replace("''", "'")
    if s[0] in "[{":
        val, rest = _flow(s, 0, lineno)
        if s[rest:].strip():
            raise YamlError("line %d: trailing text after flow collection" % lineno)
        return val
    return _plain_scalar(s)


def _flow(s, i, lineno):
    """Parse a flow collection or scalar starting at s[i]; return (value, next index)."""
    while i < len(s) and s[i] == " ":
        i += 1
    if i >= len(s):
        raise YamlError("line %d: unterminated flow collection" % lineno)
    c = s[i]
    if c == "[":
        out = []
        i += 1
        while True:
            while i < len(s) and s[i] == " ":
                i += 1
            if i < len(s) and s[i] == "]":
                return out, i + 1
            val, i = _flow(s, i, lineno)
            out.append(val)
            while i < len(s) and s[i] == " ":
                i += 1
            if i < len(s) and s[i] == ",":
                i += 1
            elif i < len(s) and s[i] == "]":
                return out, i + 1
            else:
                raise YamlError("line %d: expected , or ] in flow sequence" % lineno)
    if c == "{":
        out = {}
        i += 1
        while True:
            while i < len(s) and s[i] == " ":
                i += 1
            if i < len(s) and s[i] == "}":
                return out, i + 1
            key, i = _flow_scalar(s, i, lineno, key=True)
            while i < len(s) and s[i] == " ":
                i += 1
            if i >= len(s) or s[i] != ":":
                raise YamlError("line %d: expected : in flow mapping" % lineno)
            val, i = _flow(s, i + 1, lineno)
            out[key] = val
            while i < len(s) and s[i] == " ":
                i += 1
            if i < len(s) and s[i] == ",":
                i += 1
            elif i < len(s) and s[i] == "}":
                return out, i + 1
            else:
                raise YamlError("line %d: expected , or } in flow mapping" % lineno)
    return _flow_scalar(s, i, lineno)


def _flow_scalar(s, i, lineno, key=False):
    if s[i] in "\"'":
        q = s[i]
        j = i + 1
        while j < len(s):
            if q == '"' and s[j] == "\\":
                j += 2
                continue
            if s[j] == q:
                if q == "'" and j + 1 < len(s) and s[j + 1] == "'":
                    j += 2
                    continue
                break
            j += 1
        if j >= len(s):
            raise YamlError("line %d: unterminated quoted string" % lineno)
        return _scalar(s[i:j + 1], lineno), j + 1
    j = i
    stops = ",]}:" if key else ",]}"
    while j < len(s) and s[j] not in stops:
        if not key and s[j] == ":" and (j + 1 >= len(s) or s[j + 1] == " "):
            break
        j += 1
    text = s[i:j].strip()
    val = text if key else _scalar(text, lineno)
    return val, j


def _split_key(text, lineno):
    """Split "key: rest" -> (key, rest); return None when text is not a mapping entry."""
    if text[0] in "\"'":
        q = text[0]
        j = 1
        while j < len(text):
            if q == '"' and text[j] == "\\":
                j += 2
                continue
            if text[j] == q:
                if q == "'" and j + 1 < len(text) and text[j + 1] == "'":
                    j += 2
                    continue
                break
            j += 1
        if j >= len(text):
            return None
        after = text[j + 1:]
        if after.startswith(":") and (len(after) == 1 or after[1] == " "):
            return _scalar(text[:j + 1], lineno), after[1:].strip()
        return None
    if text[0] in "[{":
        return None
    m = re.search(r":( |$)", text)
    if not m:
        return None
    return text[:m.start()].strip(), text[m.end():].strip()


class _Parser:
    def __init__(self, lines):
        # lines: list of (lineno, indent, text-without-comment, raw-line)
        self.lines = lines

    def skip_blank(self, i):
        while i < len(self.lines) and not self.lines[i][2]:
            i += 1
        return i

    def node(self, i, min_indent):
        i = self.skip_blank(i)
        if i >= len(self.lines) or self.lines[i][1] < min_indent:
            return None, i
        lineno, ind, text, _ = self.lines[i]
        if text == "-" or text.startswith("- "):
            return self.seq(i, ind)
        if _split_key(text, lineno) is not None:
            return self.mapping(i, ind)
        return self.plain_multiline(i, ind)

    def plain_multiline(self, i, ind):
        lineno, _, text, _ = self.lines[i]
        return _scalar(text, lineno), i + 1

    def value_after_key(self, rest, i, ind, lineno):
        """Value of a key whose line i has been consumed; rest is the text after ':'."""
        if rest == "":
            j = self.skip_blank(i + 1)
            if j < len(self.lines):
                nl = self.lines[j]
                if nl[1] > ind:
                    return self.node(j, ind + 1)
                if nl[1] == ind and (nl[2] == "-" or nl[2].startswith("- ")):
                    return self.seq(j, ind)
            return None, i + 1
        if rest[0] in "|>":
            return self.block_scalar(rest, i, ind, lineno)
        if rest[0] not in "\"'[{":
            # plain scalar possibly continued on more-indented lines
            parts = [rest]
            j = i + 1
            while True:
                k = self.skip_blank(j)
                if k < len(self.lines) and self.lines[k][1] > ind:
                    parts.append(self.lines[k][2])
                    j = k + 1
                else:
                    break
            return _scalar(" ".join(parts), lineno), j
        if rest[0] in "\"'" and _quote_open(rest):
            # A quoted scalar folded over more-indented lines: each line break
            # is one space (YAML flow folding); the raw lines keep any '#'.
            parts = [rest]
            j = i + 1
            while j < len(self.lines) and _quote_open(" ".join(parts)):
                if self.lines[j][1] <= ind and self.lines[j][2]:
                    raise YamlError("line %d: unterminated quoted string" % lineno)
                parts.append(self.lines[j][3].strip())
                j += 1
            return _scalar(" ".join(p for p in parts if p), lineno), j
        return _scalar(rest, lineno), i + 1

    def block_scalar(self, header, i, ind, lineno):
        style = header[0]
        chomp = "clip"
        explicit = None
        for ch in header[1:]:
            if ch == "-":
                chomp = "strip"
            elif ch == "+":
                chomp = "keep"
            elif ch.isdigit():
                explicit = int(ch)
            elif ch != " ":
                raise YamlError("line %d: bad block scalar header %r" % (lineno, header))
        raw = []
        j = i + 1
        block_ind = None
        while j < len(self.lines):
            _, lind, ltext, lraw = self.lines[j]
            stripped = lraw.strip()
            if stripped == "":
                raw.append("")
                j += 1
                continue
            cur = len(lraw) - len(lraw.lstrip(" "))
            if block_ind is None:
                block_ind = ind + explicit if explicit else cur
                if block_ind <= ind:
                    break
            if cur < block_ind:
                break
            raw.append(lraw[block_ind:].rstrip("\n"))
            j += 1
        # trailing blank lines belong to chomping, not to the next node
        while raw and raw[-1] == "" and j > i + 1 and self.lines[j - 1][3].strip() == "":
            j -= 1
            raw.pop()
        if style == "|":
            body = "\n".join(raw)
        else:
            out = []
            for k, line in enumerate(raw):
                if k == 0:
                    out.append(line)
                elif line == "" or line.startswith(" ") or raw[k - 1] == "" or raw[k - 1].startswith(" "):
                    out.append("\n" + line)
                else:
                    out.append(" " + line)
            body = "".join(out)
        if chomp == "strip":
            body = body.rstrip("\n")
        elif body:
            body = body + "\n"
        return body, j

    def seq(self, i, ind):
        out = []
        while True:
            i = self.skip_blank(i)
            if i >= len(self.lines):
                break
            lineno, lind, text, raw = self.lines[i]
            if lind != ind or not (text == "-" or text.startswith("- ")):
                if lind > ind:
                    raise YamlError("line %d: bad indentation in sequence" % lineno)
                break
            rest = text[1:].lstrip(" ")
            if rest == "":
                val, i = self.node(i + 1, ind + 1)
                out.append(val)
                continue
            col = ind + (len(text) - len(rest))
            # Re-read the rest of this line as if it started at column col.
            self.lines[i] = (lineno, col, rest, " " * col + rest)
            if rest == "-" or rest.startswith("- "):
                val, i = self.seq(i, col)
            elif _split_key(rest, lineno) is not None:
                val, i = self.mapping(i, col)
            elif rest[0] in "|>":
                val, i = self.block_scalar(rest, i, ind, lineno)
            else:
                val, i = self.value_after_key(rest, i, col - 1, lineno) if rest[0] not in "\"'[{" \
                    else (_scalar(rest, lineno), i + 1)
            out.append(val)
        return out, i

    def mapping(self, i, ind):
        out = {}
        while True:
            i = self.skip_blank(i)
            if i >= len(self.lines):
                break
            lineno, lind, text, _ = self.lines[i]
            if lind < ind:
                break
            if lind > ind:
                raise YamlError("line %d: bad indentation (expected %d spaces, got %d)" % (lineno, ind, lind))
            if text == "-" or text.startswith("- "):
                break
            kv = _split_key(text, lineno)
            if kv is None:
                raise YamlError("line %d: expected 'key: value', got %r" % (lineno, text))
            key, rest = kv
            if isinstance(key, str) and key[:1] in "&*!?":
                raise YamlError("line %d: unsupported YAML key %r" % (lineno, key))
            if key in out:
                raise YamlError("line %d: duplicate key %r" % (lineno, key))
            val, i = self.value_after_key(rest, i, ind, lineno)
            out[key] = val
        return out, i


def load_all(text):
    """Parse every document of text; returns a list (empty documents are skipped)."""
    if "\t" in "".join(line[:len(line) - len(line.lstrip())] for line in text.splitlines()):
        raise YamlError("tabs are not allowed for indentation")
    docs = []
    cur = []
    for n, raw in enumerate(text.splitlines(), 1):
        stripped = raw.rstrip()
        if stripped == "---" or stripped.startswith("--- ") or stripped == "...":
            docs.append(cur)
            cur = []
            rest = stripped[3:].strip() if stripped.startswith("---") else ""
            if rest and not rest.startswith("#"):
                raise YamlError("line %d: content after --- is not supported" % n)
            continue
        if stripped.startswith("%"):
            raise YamlError("line %d: YAML directives are not supported" % n)
        ind = len(raw) - len(raw.lstrip(" "))
        cur.append((n, ind, _strip_comment(raw.strip()), raw))
    docs.append(cur)
    out = []
    for lines in docs:
        if not any(l[2] for l in lines):
            continue
        p = _Parser(lines)
        first = p.skip_blank(0)
        val, i = p.node(first, 0)
        i = p.skip_blank(i)
        if i < len(lines):
            raise YamlError("line %d: unexpected content %r" % (lines[i][0], lines[i][2]))
        out.append(val)
    return out


def load(text):
    """Parse exactly one document."""
    docs = load_all(text)
    if len(docs) != 1:
        raise YamlError("expected one YAML document, found %d" % len(docs))
    return docs[0]


_SAFE_PLAIN = re.compile(r"^[A-Za-z_/][A-Za-z0-9_./+=()-]*( [A-Za-z0-9_./()=+-]+)*$")


def _emit_scalar(v):
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, (int, float)):
        return json.dumps(v)
    s = str(v)
    if _SAFE_PLAIN.match(s) and _plain_scalar(s) == s and not s.startswith("- "):
        return s
    return json.dumps(s)


def dump(obj, indent=0):
    """Emit obj (dicts, lists, scalars) as block YAML that load() reads back equal."""
    pad = " " * indent
    if isinstance(obj, dict):
        if not obj:
            return pad + "{}\n"
        out = []
        for k, v in obj.items():
            key = _emit_scalar(str(k))
            if isinstance(v, dict) and v:
                out.append("%s%s:\n%s" % (pad, key, dump(v, indent + 2)))
            elif isinstance(v, list) and v:
                out.append("%s%s:\n%s" % (pad, key, dump(v, indent)))
            else:
                out.append("%s%s: %s\n" % (pad, key, _inline(v)))
        return "".join(out)
    if isinstance(obj, list):
        if not obj:
            return pad + "[]\n"
        out = []
        for v in obj:
            if isinstance(v, (dict, list)) and v:
                body = dump(v, indent + 2)
                out.append(pad + "- " + body[indent + 2:])
            else:
                out.append("%s- %s\n" % (pad, _inline(v)))
        return "".join(out)
    return pad + _emit_scalar(obj) + "\n"


def _inline(v):
    if isinstance(v, dict):
        return "{}"
    if isinstance(v, list):
        return "[]"
    return _emit_scalar(v)
