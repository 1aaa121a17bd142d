"""Writing benchmark results: each benchmark merges its keys into
bench/results.json (one flat object of numbers) and owns the section of
bench/RESULTS.md between its markers."""
import json
import os
import sys

HEADER = ("# xcni benchmark results\n\n"
          "Written by `make bench`; each benchmark owns the section between its\n"
          "`<!-- bench:NAME:begin -->` and `<!-- bench:NAME:end -->` markers.\n")


def markers(name):
    return f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"


def _replace(path, text):
    with open(path + ".tmp", "w") as f:
        f.write(text)
    os.replace(path + ".tmp", path)


def merge_json(path, values, who):
    """Adds values to the flat object at path, keeping other benchmarks' keys."""
    res = {}
    if os.path.exists(path):
        with open(path) as f:
            res = json.load(f)
        if not isinstance(res, dict):
            sys.exit(f"{who}: {path} is not a JSON object; not overwriting it")
    res.update(values)
    _replace(path, json.dumps(res, indent=2, sort_keys=True) + "\n")


def write_section(path, name, section):
    """Replaces benchmark name's section (markers included in section)."""
    begin, end = markers(name)
    text = open(path).read() if os.path.exists(path) else ""
    if begin in text and end in text:
        text = text[:text.index(begin)] + section + text[text.index(end) + len(end):]
    else:
        text = (text or HEADER).rstrip("\n") + "\n\n" + section + "\n"
    _replace(path, text)
