"""Runs every ```python block of a README against the installed ``booking_engine`` package.

    python readme_samples.py README.md [--list]

The README's samples continue one another (the 1:1 sample uses the quickstart's engine, the
rules sample the 1:1 sample's course), so the blocks run in order, in one namespace, like one
session at a Python prompt, with a fresh temporary directory as the working directory (the
quickstart's SQLite file lands there). A traceback points at the README's own line numbers.

A block right after an HTML comment ``<!-- readme-sample: skip REASON -->`` is not run; the
reason is printed. A block right after ``<!-- readme-sample: own-namespace -->`` stands alone:
it runs in a copy of the namespace, so its names do not replace the ones later samples use. Exits 1 when a sample fails, when no sample ran, or when ``booking_engine``
comes from the source tree instead of an installed wheel.

Not a pytest module (no ``test_`` prefix): scripts/package-python runs it with the Python of a
clean virtual environment that has the wheel installed and no Rust toolchain on its PATH.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

SKIP = re.compile(r"^<!--\s*readme-sample:\s*skip\s+(?P<reason>.+?)\s*-->$")
OWN = re.compile(r"^<!--\s*readme-sample:\s*own-namespace\s*-->$")


@dataclass
class Sample:
    line: int  # the README line of the first line of code (1-based)
    code: str
    skip: str | None
    own: bool = False  # runs in a copy of the namespace


def extract(text: str) -> list[Sample]:
    """The ```python blocks of a Markdown text, in order, with their skip markers."""
    samples: list[Sample] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```python":
            j = i - 1
            while j >= 0 and not lines[j].strip():
                j -= 1
            marker = SKIP.match(lines[j].strip()) if j >= 0 else None
            end = i + 1
            while end < len(lines) and lines[end].strip() != "```":
                end += 1
            if end == len(lines):
                raise SystemExit(f"line {i + 1}: a ```python block is never closed")
            own = j >= 0 and OWN.match(lines[j].strip()) is not None
            code = "\n".join(lines[i + 1 : end]) + "\n"
            samples.append(Sample(i + 2, code, marker.group("reason") if marker else None, own))
            i = end
        i += 1
    return samples


def main() -> int:
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    sys.stdout.reconfigure(line_buffering=True)  # in order with the tracebacks on stderr
    name = args[0]
    readme = Path(name).resolve()
    samples = extract(readme.read_text(encoding="utf-8"))
    if "--list" in args:
        for s in samples:
            print(f"{name}:{s.line}: {'skip: ' + s.skip if s.skip else 'run'}")
        return 0

    work = Path(tempfile.mkdtemp(prefix="readme-samples-"))
    os.chdir(work)
    import booking_engine

    where = Path(booking_engine.__file__).resolve()
    if readme.parent in where.parents:
        print(f"booking_engine comes from the source tree ({where}), not an installed wheel", file=sys.stderr)
        return 1
    print(f"booking_engine from {where.parent}; working directory {work}")

    namespace: dict[str, object] = {"__name__": "__readme__"}
    ran = failed = 0
    for s in samples:
        label = f"{name}:{s.line}"
        if s.skip:
            print(f"SKIP {label}: {s.skip}")
            continue
        # Blank lines in front, so the compiled code's line numbers are the README's.
        code = compile("\n" * (s.line - 1) + s.code, str(readme), "exec")
        started = time.perf_counter()
        try:
            exec(code, dict(namespace) if s.own else namespace)
        except BaseException:
            failed += 1
            print(f"FAIL {label}", file=sys.stderr)
            traceback.print_exc()
            break  # the samples after it build on it
        ran += 1
        print(f"ok   {label} ({(time.perf_counter() - started) * 1000:.0f} ms)")
    skipped = sum(1 for s in samples if s.skip)
    left = len(samples) - ran - skipped - failed
    print(f"{name}: {len(samples)} python samples: {ran} ran, {skipped} skipped, {failed} failed"
          + (f", {left} not run after the failure" if left else ""))
    if failed or ran == 0:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
