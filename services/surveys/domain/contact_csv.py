"""CSV import of contacts: a streaming parser that imports the valid rows and reports the broken ones.

The upload is read line by line (give it a text stream opened with `newline=""`, so quoted fields
may hold line breaks); nothing but the current record is held, so memory stays flat whatever the
file's size (the service bounds the row count per upload). Each broken row is reported with the
line it starts on, the field and the message; the header alone can refuse the whole file.

Columns: the contact's fields under their names or common aliases (`id`, `language`, `timezone`,
Spanish CRM names …); `attributes.<name>` columns and any column not recognised become attributes.
Empty cells are absent values (the defaults apply). The delimiter is `,`, `;` or tab, whichever
the header uses.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from pydantic import ValidationError

from shared.errors import InvalidInput
from services.surveys.domain.contacts import Contact

MAX_COLUMNS = 200
MAX_HEADER = 100
MAX_RECORD_CHARS = 64 * 1024  # one record (a row, possibly spanning lines)
MAX_REPORTED = 1000  # broken rows kept in detail by ImportReport; the rest are counted

_ALIASES = {
    "customer_id": ("id", "customer", "customerid", "client_id", "clientid", "cliente", "id_cliente", "external_id"),
    "email": ("e_mail", "mail", "email_address", "correo", "correo_electronico"),
    "name": ("nombre", "full_name", "first_name", "nombre_completo"),
    "locale": ("language", "lang", "idioma"),
    "time_zone": ("timezone", "tz", "zona_horaria"),
    "consent": ("consents", "channels", "consentimiento", "canales"),
    "customer_since": ("since", "joined", "joined_at", "join_date", "signup_date", "fecha_alta", "cliente_desde"),
    "next_renewal": ("renewal", "renewal_date", "renews_at", "renews_on", "fecha_renovacion", "renovacion"),
    "unsubscribed_at": ("unsubscribed", "unsubscribed_on", "fecha_baja"),
    "bounced": ("bounced_channels",),
}
HEADER_ALIASES = {alias: name for name, aliases in _ALIASES.items() for alias in (name, *aliases)}
_ATTRIBUTE_PREFIXES = ("attributes.", "attribute.", "attr.")


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str  # the contact's field ("email"), or "row" for a record that is broken as a whole
    message: str
    column: str | None = None  # the header as written in the file


@dataclass(frozen=True, slots=True)
class ImportedRow:
    line: int
    contact: Contact


@dataclass(frozen=True, slots=True)
class BrokenRow:
    line: int  # the physical line the record starts on (the header is line 1)
    errors: tuple[FieldError, ...]


class CsvHeaderError(InvalidInput):
    def __init__(self, message: str, column: str = "header"):
        super().__init__(f"the CSV header cannot be used: {message}", errors=[{"field": column, "message": message}])


@dataclass(frozen=True, slots=True)
class _Column:
    header: str
    field: str | None  # a contact field, or None: an attribute named `attribute`
    attribute: str | None = None


class _RecordTooLong(Exception):
    pass


class _Lines:
    """The upload's lines, counted, with a bound on the size of the record being read."""

    def __init__(self, lines: Iterable[str]):
        self._lines = iter(lines)
        self.number = 0
        self.record_chars = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.number += 1
        self.record_chars += len(line)
        if self.record_chars > MAX_RECORD_CHARS:
            raise _RecordTooLong()
        return line


def read_contacts_csv(lines: Iterable[str]) -> Iterator[ImportedRow | BrokenRow]:
    """The rows of a contacts CSV, in order. Raises CsvHeaderError now when the header is unusable."""
    source = _Lines(lines)
    header_line = next(source, None)
    while header_line is not None and not header_line.strip():
        header_line = next(source, None)
    if header_line is None:
        raise CsvHeaderError("the file is empty")
    header_line = header_line.lstrip("\ufeff")
    delimiter = max((",", ";", "\t"), key=header_line.count)
    try:
        headers = next(csv.reader([header_line], delimiter=delimiter))
    except csv.Error as exc:
        raise CsvHeaderError(str(exc)) from None
    columns = _columns(headers)
    return _rows(source, columns, delimiter)


def _columns(headers: list[str]) -> list[_Column]:
    if len(headers) > MAX_COLUMNS:
        raise CsvHeaderError(f"more than {MAX_COLUMNS} columns")
    columns, seen = [], {}
    for raw in headers:
        header = raw.strip()
        if not header or len(header) > MAX_HEADER:
            raise CsvHeaderError(f"every column needs a name of at most {MAX_HEADER} characters", header or "header")
        key = header.lower().replace(" ", "_").replace("-", "_")
        prefix = next((p for p in _ATTRIBUTE_PREFIXES if key.startswith(p)), None)
        if prefix:
            column = _Column(header, None, header[len(prefix) :].strip())
        elif key in HEADER_ALIASES:
            column = _Column(header, HEADER_ALIASES[key])
        else:
            column = _Column(header, None, header)
        target = column.field or f"attributes.{column.attribute}"
        if target in seen:
            raise CsvHeaderError(f"columns '{seen[target]}' and '{header}' both give {target}", header)
        seen[target] = header
        columns.append(column)
    if "customer_id" not in seen:
        raise CsvHeaderError("no customer id column (customer_id or id)", "customer_id")
    return columns


def _rows(source: _Lines, columns: list[_Column], delimiter: str) -> Iterator[ImportedRow | BrokenRow]:
    reader = csv.reader(source, delimiter=delimiter)
    while True:
        start, source.record_chars = source.number + 1, 0
        try:
            cells = next(reader)
        except StopIteration:
            return
        except _RecordTooLong:
            yield BrokenRow(start, (FieldError("row", f"the row is longer than {MAX_RECORD_CHARS} characters"),))
            reader = csv.reader(source, delimiter=delimiter)  # resynchronise on the next line
            continue
        except csv.Error as exc:
            yield BrokenRow(start, (FieldError("row", f"unreadable CSV: {exc}"),))
            reader = csv.reader(source, delimiter=delimiter)
            continue
        if not any(cell.strip() for cell in cells):
            continue  # blank line
        yield _row(start, cells, columns)


def _row(line: int, cells: list[str], columns: list[_Column]) -> ImportedRow | BrokenRow:
    if len(cells) != len(columns):
        return BrokenRow(line, (FieldError("row", f"the row has {len(cells)} fields; the header has {len(columns)}"),))
    values: dict[str, object] = {}
    attributes: dict[str, str] = {}
    by_field: dict[str, str] = {}
    for column, cell in zip(columns, cells):
        if not cell.strip():
            continue
        if column.field:
            values[column.field] = cell
            by_field[column.field] = column.header
        else:
            attributes[column.attribute] = cell
    if attributes:
        values["attributes"] = attributes
    try:
        return ImportedRow(line, Contact.model_validate(values))
    except ValidationError as exc:
        errors = []
        for error in exc.errors(include_url=False, include_input=False):
            name = str(error["loc"][0]) if error["loc"] else "row"
            message = "is required" if error["type"] == "missing" else error["msg"]
            errors.append(FieldError(name, message, by_field.get(name)))
        return BrokenRow(line, tuple(errors))


@dataclass
class ImportReport:
    """What an import did: counts, and the broken rows (the first MAX_REPORTED in detail)."""

    imported: int = 0
    broken: int = 0
    errors: list[dict] = field(default_factory=list)

    def add(self, row: ImportedRow | BrokenRow) -> None:
        if isinstance(row, ImportedRow):
            self.imported += 1
            return
        self.broken += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.extend(
                {"line": row.line, "field": e.field, "message": e.message, **({"column": e.column} if e.column else {})}
                for e in row.errors
            )
