"""The streaming CSV reader every trace loader uses.

:class:`Lines` gives a file's physical lines (UTF-8, no NUL byte, bounded line and file size);
:class:`Reader` checks the header, gives rows with their line numbers, and either raises a
located :class:`~stargate.errors.Problem` for a bad row or counts it (``skip_bad_rows``). It is
one concept, kept whole: the line source and the row reader share the bookkeeping that lets a
row that swallowed the lines after an unclosed quote give those lines back.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from stargate.domain.limits import MAX_ITEMS
from stargate.errors import InputError, Problem
from stargate.files import input_problem

#: The largest trace file read (a stream, never whole): 1 GiB, about 10 million rows of a pod
#: list; the public traces are under 1 MB.
MAX_TRACE_BYTES = 2**30
#: The longest line of a trace file, in characters: 1 MiB.
MAX_LINE_CHARS = 2**20
#: Problems of skipped bad rows reported one by one; the rest are summed up in one line.
MAX_WARNINGS = 5

_SKIP_HINT = "fix the row, or pass --skip-bad-rows (skip_bad_rows=True) to skip and count it"


class BadCell(Exception):
    """A bad cell: raised by the cell parsers, turned into a located Problem by the reader."""

    def __init__(self, column: str, message: str, expected: str, found: str) -> None:
        super().__init__(message)
        self.column = column
        self.message = message
        self.expected = expected
        self.found = found


class Lines:
    """The physical lines of a trace file, read as a stream (never the whole file at once), for
    the csv module: UTF-8 decoded, a NUL byte (binary data) refused with its line, every line at
    most :data:`MAX_LINE_CHARS` long and the file at most ``max_bytes``. Lines taken back with
    :meth:`push_back` are given again first; :attr:`taken` counts the lines given."""

    def __init__(self, path: Path, what: str, max_bytes: int) -> None:
        self.file = str(path)
        self.what = what
        self.max_bytes = max_bytes
        self.taken = 0
        self.chars = 0
        self.mark: list[str] | None = None  # lines given since mark(), for push_back
        self.long_lines: list[int] = []  # lines cut at MAX_LINE_CHARS (bad rows)
        self._back: list[str] = []
        try:
            self._f = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115
        except OSError as exc:
            raise InputError(
                Problem(f"cannot read the file: {exc.strerror or exc}", file=self.file)
            ) from None

    def close(self) -> None:
        self._f.close()

    def __iter__(self) -> Lines:
        return self

    def __next__(self) -> str:
        line = self._back.pop() if self._back else self._read()
        self.taken += 1
        if self.mark is not None:
            self.mark.append(line)
        return line

    def push_back(self, lines: list[str]) -> None:
        """Give ``lines`` again, in order, before reading on."""
        self._back.extend(reversed(lines))
        self.taken -= len(lines)

    def _read(self) -> str:
        try:
            line = self._f.readline(MAX_LINE_CHARS)
        except UnicodeDecodeError:
            raise self._not_utf8() from None
        except OSError as exc:
            raise InputError(
                Problem(f"cannot read the file: {exc.strerror or exc}", file=self.file)
            ) from None
        if not line:
            raise StopIteration
        if len(line) >= MAX_LINE_CHARS and not line.endswith("\n"):
            self.long_lines.append(self.taken + 1)
            while True:  # skip the rest of the line: it is one bad row
                rest = self._f.readline(MAX_LINE_CHARS)
                self.chars += len(rest)
                if not rest or rest.endswith("\n"):
                    break
            line = "\n"
        self.chars += len(line)
        if self.chars > self.max_bytes:
            raise InputError(
                Problem(
                    f"file is too large to be {self.what}",
                    file=self.file,
                    expected=f"at most {self.max_bytes // 2**20:,} MiB",
                    found="more than that (the file grew while being read)",
                )
            )
        if "\x00" in line:
            raise InputError(
                Problem(
                    "binary data, not a CSV text file",
                    file=self.file,
                    line=self.taken + 1,
                    expected=self.what,
                    found="a NUL byte",
                    hint="a compressed file (.gz, .tar)? unpack it first",
                )
            )
        return line

    def _not_utf8(self) -> InputError:
        """Where the first byte that is not UTF-8 is (read again, in binary, to say so)."""
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset = lines = 0
        with open(self.file, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                nul = block.find(b"\x00")
                if nul >= 0:  # binary data (a .gz, a .tar) rather than text in a wrong code
                    return InputError(
                        Problem(
                            "binary data, not a CSV text file",
                            file=self.file,
                            line=lines + block.count(b"\n", 0, nul) + 1,
                            expected=self.what,
                            found=f"a NUL byte at offset {offset + nul}",
                            hint="a compressed file (.gz, .tar)? unpack it first",
                        )
                    )
                try:
                    decoder.decode(block)
                except UnicodeDecodeError as exc:
                    where = offset + exc.start
                    lines += block.count(b"\n", 0, exc.start)
                    return InputError(
                        Problem(
                            "not UTF-8 text",
                            file=self.file,
                            line=lines + 1,
                            expected=f"{self.what} in UTF-8",
                            found=f"byte 0x{block[exc.start]:02x} at offset {where}",
                        )
                    )
                offset += len(block)
                lines += block.count(b"\n")
        return InputError(Problem("not UTF-8 text", file=self.file, expected=self.what))


class Reader:
    """A CSV file read as a stream: header checked, rows with their line numbers, and bad rows
    either raised (the default) or counted and kept as warnings (``skip_bad_rows``).

    The file is refused before reading when it is not a regular file (a FIFO, a device, a
    folder) or larger than ``max_bytes``. A row is one line: a quoted cell that does not close
    on its line is a bad row at the line where the quote opens, and the lines after it are read
    as rows of their own (trace cells never hold line breaks)."""

    def __init__(
        self,
        path: Path,
        required: Sequence[str],
        *,
        what: str,
        skip_bad_rows: bool = False,
        warnings: list[Problem] | None = None,
        header_check: Callable[[Reader, list[str]], None] | None = None,
        max_bytes: int = MAX_TRACE_BYTES,
    ) -> None:
        self.path = path
        self.file = str(path)
        self.skip_bad_rows = skip_bad_rows
        self.warnings = warnings
        self.bad_rows = 0
        self.rows_read = 0
        self.line = 0
        problem = input_problem(
            path,
            what,
            max_bytes,
            hint="check the path, or get the public trace with `stargate trace fetch`",
        )
        if problem is not None:
            raise InputError(problem)
        self._lines = Lines(path, what, max_bytes)
        try:
            self._start(required, what, header_check)
        except BaseException:
            self._lines.close()
            raise

    def _start(
        self,
        required: Sequence[str],
        what: str,
        header_check: Callable[[Reader, list[str]], None] | None,
    ) -> None:
        self._csv = csv.reader(self._lines, strict=True)
        header = self._next_row()
        while isinstance(header, list) and not any(h.strip() for h in header):
            header = self._next_row()  # blank lines before the header
        if header is None:
            raise InputError(
                Problem("empty file", file=self.file, expected=f"{what}: a header line, then rows")
            )
        if isinstance(header, Problem):
            raise InputError(header)
        self.header = [h.strip() for h in header]
        seen: set[str] = set()
        for k, h in enumerate(self.header):
            if h in seen:
                raise InputError(
                    Problem(
                        f"column '{h}' appears twice in the header",
                        file=self.file,
                        line=self.line,
                        column=k + 1,
                        path=f"{h} (column {k + 1})",
                    )
                )
            seen.add(h)
        if header_check is not None:
            header_check(self, self.header)
        missing = [c for c in required if c not in seen]
        if missing:
            raise InputError(
                [
                    Problem(
                        f"missing column '{c}' in the header",
                        file=self.file,
                        line=self.line,
                        column=list(required).index(c) + 1,
                        path=f"{c} (column {list(required).index(c) + 1})",
                        expected=f"{what} with columns {','.join(required)}",
                        found=clip(",".join(self.header)),
                    )
                    for c in missing
                ]
            )
        self.index = {h: k for k, h in enumerate(self.header)}

    def _next_row(self) -> list[str] | Problem | None:
        """The next non-blank row (``self.line`` its line), a Problem for a row that cannot be
        read (the lines after it are read again), or None at the end of the file."""
        lines = self._lines
        while True:
            first = lines.taken + 1
            lines.mark = []
            try:
                row = next(self._csv)
                error = None
            except StopIteration:
                lines.mark = None
                lines.close()
                return None
            except csv.Error as exc:
                row, error = [], str(exc)
            taken, lines.mark = lines.mark, None
            self.line = first
            if first in lines.long_lines:
                return Problem(
                    f"line is longer than {MAX_LINE_CHARS // 1024:,} KiB: not a row of a trace",
                    file=self.file,
                    line=first,
                )
            if len(taken) > 1 or error is not None:
                # a row over several lines: a quote that opens here and does not close on
                # this line. Only this line is bad; read the lines it swallowed again.
                lines.push_back(taken[1:])
                self._csv = csv.reader(lines, strict=True)
                text = taken[0].rstrip("\r\n") if taken else ""
                col = open_quote_column(text)
                why = "a quoted cell does not close on its line (an unterminated quote?)"
                if error is not None and len(taken) <= 1 and col is None:
                    why = f"not a valid CSV row: {error}"
                return Problem(
                    why,
                    file=self.file,
                    line=first,
                    column=col,
                    expected="cells on one line; a quote that opens a cell closes it on the "
                    "same line",
                    found=clip(text),
                )
            if row:
                return row

    def rows(self) -> Iterator[list[str]]:
        """The data rows with as many cells as the header (the others are bad rows)."""
        n = len(self.header)
        try:
            yield from self._rows(n)
        finally:
            self._lines.close()

    def _rows(self, n: int) -> Iterator[list[str]]:
        while True:
            row = self._next_row()
            if row is None:
                return
            self.rows_read += 1
            if self.rows_read > MAX_ITEMS:
                self._lines.close()
                raise InputError(
                    Problem(
                        "too many rows",
                        file=self.file,
                        line=self.line,
                        expected=f"at most {MAX_ITEMS:,} rows in one trace file",
                    )
                )
            if isinstance(row, Problem):
                self.bad(row)
                continue
            if len(row) != n:
                self.bad(self._width_problem(row))
                continue
            yield row

    def _width_problem(self, row: list[str]) -> Problem:
        n = len(self.header)
        if len(row) < n:
            col = self.header[len(row)]
            return Problem(
                f"row has {len(row)} of {n} columns: '{col}' and after are missing "
                "(a truncated row?)",
                file=self.file,
                line=self.line,
                column=len(row) + 1,
                path=f"{col} (column {len(row) + 1})",
                expected=f"{n} columns ({','.join(self.header)})",
                found=f"{len(row)}: {clip(','.join(row))}",
            )
        return Problem(
            f"row has {len(row)} columns, the header has {n}",
            file=self.file,
            line=self.line,
            column=n + 1,
            path=f"column {n + 1}",
            expected=f"{n} columns ({','.join(self.header)})",
            found=f"{len(row)}: {clip(','.join(row))}",
        )

    def cell_problem(self, bad: BadCell, line: int | None = None) -> Problem:
        k = self.index[bad.column] + 1
        return Problem(
            bad.message,
            file=self.file,
            line=self.line if line is None else line,
            column=k,
            path=f"{bad.column} (column {k})",
            expected=bad.expected,
            found=bad.found,
        )

    def bad(self, problem: Problem) -> None:
        """A bad row: raise, or (skip_bad_rows) count it and keep the first few as warnings."""
        if not self.skip_bad_rows:
            self._lines.close()  # the caller's loop ends here: leave no file open behind it
            raise InputError(replace(problem, hint=problem.hint or _SKIP_HINT))
        self.bad_rows += 1
        if self.warnings is not None and self.bad_rows <= MAX_WARNINGS:
            self.warnings.append(as_warning(problem, "skipped"))

    def finish(self, skipped: dict[str, int]) -> None:
        """Record the count of skipped bad rows (and a summary warning beyond the first few)."""
        if not self.bad_rows:
            return
        skipped["bad_row"] = skipped.get("bad_row", 0) + self.bad_rows
        if self.warnings is not None and self.bad_rows > MAX_WARNINGS:
            self.warnings.append(
                Problem(
                    f"skipped {self.bad_rows - MAX_WARNINGS} more bad rows "
                    f"({self.bad_rows} in all)",
                    file=self.file,
                    severity="warning",
                )
            )


def as_warning(p: Problem, prefix: str) -> Problem:
    return replace(p, message=f"{prefix}: {p.message}", severity="warning")


def clip(text: str, n: int = 120) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def open_quote_column(text: str) -> int | None:
    """The column (1-based) of the cell whose quote opens and does not close on ``text``."""
    quoted = False
    column = 1
    start = None
    k = 0
    while k < len(text):
        ch = text[k]
        if quoted:
            if ch == '"':
                if k + 1 < len(text) and text[k + 1] == '"':
                    k += 1
                else:
                    quoted = False
        elif ch == ",":
            column += 1
        elif ch == '"':
            quoted, start = True, column
        k += 1
    return start if quoted else None
