"""Regenerate tfl_signatures.json from the TFL dialect's definitions (LiteRT's tfl_ops.td).

    python dialects/gen_tfl_signatures.py PATH/TO/tflite/converter/ir/tfl_ops.td

For every `def TFL_...Op : ...<"mnemonic", ...>` it records the names of the op's operands (in
order; a variadic one marked), attributes and results, as its `let arguments = (ins ...)` and
`let results = (outs ...)` spell them. Ops that take their arguments from a TableGen class are
left out (typed views then fall back to positions). The JSON is checked in: tflx never needs
the .td file at run time. Source used for the checked-in file: google-ai-edge/LiteRT,
tflite/converter/ir/tfl_ops.td.
"""
from __future__ import annotations

import json
import os
import re
import sys

_DEF = re.compile(r'^def\s+TFL_\w+\s*:\s*\w+<\s*(?:TFL_Dialect\s*,\s*)?"([a-z0-9_]+)"', re.M)


def _block(body: str, keyword: str) -> str | None:
    """The text inside `let <keyword> = (ins|outs ...)`, balanced parentheses."""
    m = re.search(rf"let\s+{keyword}\s*=\s*\(\s*(?:ins|outs)\b", body)
    if m is None:
        return None
    depth, i = 1, m.end()
    while i < len(body) and depth:
        depth += {"(": 1, ")": -1}.get(body[i], 0)
        i += 1
    return body[m.end():i - 1]


def _entries(block: str) -> list[tuple[str, str]]:
    """(type text, name) for each `Type<...>:$name` at the top level of a dag."""
    block = re.sub(r"//[^\n]*", "", block)
    out, depth, start = [], 0, 0
    for i, ch in enumerate(block + ","):
        if ch in "<([":
            depth += 1
        elif ch in ">)]":
            depth -= 1
        elif ch == "," and depth == 0:
            item = block[start:i].strip()
            start = i + 1
            m = re.match(r"(.*):\$(\w+)$", item, re.S)
            if m:
                out.append((" ".join(m.group(1).split()), m.group(2)))
    return out


def signatures(td: str) -> dict:
    defs = list(_DEF.finditer(td))
    table = {}
    for k, d in enumerate(defs):
        body = td[d.end():defs[k + 1].start() if k + 1 < len(defs) else len(td)]
        args = _block(body, "arguments")
        if args is None:
            continue
        operands, attributes, variadic = [], [], None
        for type_text, name in _entries(args):
            if "Attr" in type_text:
                attributes.append(name)
            else:
                operands.append(name)
                if "Variadic" in type_text:
                    variadic = name
        outs = _block(body, "results")
        table["tfl." + d.group(1)] = {"operands": operands, "variadic": variadic, "attributes": attributes,
                                      "results": [n for _, n in _entries(outs)] if outs else []}
    return dict(sorted(table.items()))


def main(argv) -> int:
    if len(argv) != 2:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        table = signatures(f.read())
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tfl_signatures.json")
    with open(out, "w", encoding="utf-8") as f:
        json.dump(table, f, indent=1)
        f.write("\n")
    print(f"{out}: {len(table)} ops")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
