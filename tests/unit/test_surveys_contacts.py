"""Contacts: every field bounded and checked (the error names the field), and the CSV import that
imports the valid rows and reports each broken one with its line and field, streaming."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from services.surveys.domain.contact_csv import BrokenRow, CsvHeaderError, ImportedRow, ImportReport, read_contacts_csv
from services.surveys.domain.contacts import ALL_CHANNELS, Channel, Contact, parse_email


def fields_at_fault(**values) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        Contact(**{"customer_id": "C-1", **values})
    return {str(e["loc"][0]) for e in caught.value.errors()}


def test_a_contact_is_normalised():
    contact = Contact(
        customer_id="  C-42 ",
        email="Ana.Perez@Example.COM",
        name=" Ana ",
        locale="es-ES",
        time_zone="europe/madrid",
        consent="email; webhook",
        customer_since="2024-03-01",
        next_renewal="2027-03-01T00:00:00Z",
        unsubscribed_at="2026-11-20T10:00:00+01:00",
        attributes={"plan": "pro", "seats": 12},
    )
    assert contact.customer_id == "C-42"
    assert contact.email == "Ana.Perez@example.com"  # the domain is case-insensitive, the local part is not
    assert (contact.name, contact.locale, contact.time_zone) == ("Ana", "es", "Europe/Madrid")
    assert contact.consent == {Channel.EMAIL, Channel.WEBHOOK}
    assert (contact.customer_since, contact.next_renewal) == (date(2024, 3, 1), date(2027, 3, 1))
    assert contact.unsubscribed_at == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def test_defaults_consent_to_every_channel_and_leave_locale_and_zone_to_the_plan():
    contact = Contact(customer_id="C-1")
    assert contact.consent == ALL_CHANNELS and contact.bounced == frozenset()
    assert contact.locale is None and contact.time_zone is None
    assert Contact(customer_id="C-1", consent="none").consent == frozenset()


@pytest.mark.parametrize(
    "field,value",
    [
        ("customer_id", ""),
        ("customer_id", "x" * 201),
        ("customer_id", "C\x00-1"),
        ("customer_id", "C-\ud800"),
        ("email", "not-an-email"),
        ("email", "ana@"),
        ("email", "@example.com"),
        ("email", "ana@example"),
        ("email", "ana@@example.com"),
        ("email", "ana @example.com"),
        ("email", "ana@example.com\r\nBcc: x@y.com"),
        ("email", "ana..b@example.com"),
        ("email", "ana@-example.com"),
        ("email", "ana@example.123"),
        ("email", "a" * 65 + "@example.com"),
        ("email", "ana@" + "a" * 250 + ".com"),
        ("email", 42),
        ("name", "Ana\nBcc: x"),
        ("name", "Ana\u202eevil"),
        ("name", "x" * 201),
        ("name", "Ana\ud83d"),
        ("locale", "fr"),
        ("locale", 3),
        ("time_zone", "Mars/Olympus"),
        ("time_zone", "../../etc/passwd"),
        ("time_zone", "x" * 65),
        ("consent", "email;carrier-pigeon"),
        ("bounced", 7),
        ("customer_since", "2024-13-01"),
        ("customer_since", "1850-01-01"),
        ("customer_since", "20/11/2026"),
        ("next_renewal", "2300-01-01"),
        ("unsubscribed_at", "yesterday"),
        ("unsubscribed_at", "0001-01-01T00:00:00+05:00"),
        ("attributes", {f"k{i}": i for i in range(51)}),
        ("attributes", {"nested": {"a": 1}}),
        ("attributes", {"x": float("inf")}),
        ("attributes", {"": 1}),
        ("attributes", {"k": "v\x07"}),
        ("attributes", "plan=pro"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(field, value):
    assert fields_at_fault(**{field: value}) == {field}


def test_renewal_before_joining_is_refused_on_next_renewal():
    assert fields_at_fault(customer_since="2025-01-01", next_renewal="2024-01-01") == {"next_renewal"}


def test_unknown_fields_are_refused():
    assert fields_at_fault(phone="+34 600 000 000") == {"phone"}


@pytest.mark.parametrize(
    "address",
    ["ana@example.com", "ana.b+tag@sub.example.co.uk", "josé@correo.es", "ana@bücher.de", "o'brien@example.ie"],
)
def test_real_addresses_are_accepted(address):
    assert Contact(customer_id="C-1", email=address).email


@given(st.text(max_size=80))
def test_an_accepted_address_is_one_line_with_one_at_and_a_dotted_domain(text):
    try:
        address = parse_email(text)
    except ValueError:
        return
    local, domain = address.rsplit("@", 1)
    assert "@" not in domain and "." in domain and local
    assert not any(c.isspace() for c in address) and all(ord(c) >= 32 for c in address)


@given(
    st.text(alphabet=st.characters(categories=["Cc", "Cs", "Zl", "Zp"]), min_size=1, max_size=3),
    st.text(max_size=10),
    st.text(max_size=10),
)
def test_a_name_with_a_control_character_or_lone_surrogate_is_refused(bad, before, after):
    name = f"A{before}{bad}{after}Z"
    with pytest.raises(ValidationError) as caught:
        Contact(customer_id="C-1", name=name)
    assert {e["loc"][0] for e in caught.value.errors()} == {"name"}


@given(st.text(alphabet=st.characters(categories=["L", "M", "N", "P", "S", "Zs"]), min_size=1, max_size=200))
def test_a_name_in_any_script_is_kept(name):
    if name.strip():
        assert Contact(customer_id="C-1", name=name).name == name.strip()


# -- CSV ------------------------------------------------------------------------------------------


def read(text: str) -> list[ImportedRow | BrokenRow]:
    return list(read_contacts_csv(io.StringIO(text, newline="")))


def broken(rows) -> dict[int, set[str]]:
    return {row.line: {e.field for e in row.errors} for row in rows if isinstance(row, BrokenRow)}


def test_a_csv_with_broken_rows_imports_the_valid_ones_and_reports_line_and_field():
    rows = read(
        "customer_id,email,locale,time_zone,customer_since\n"
        "C-1,ana@example.com,es,Europe/Madrid,2024-01-01\n"
        "C-2,not-an-email,en,UTC,2024-01-01\n"
        "C-3,luis@example.com,fr,Mars/Base,2024-02-30\n"
        ",nobody@example.com,es,UTC,\n"
        "C-5,eva@example.com,en,America/Santiago,\n"
    )
    assert [r.contact.customer_id for r in rows if isinstance(r, ImportedRow)] == ["C-1", "C-5"]
    assert broken(rows) == {3: {"email"}, 4: {"locale", "time_zone", "customer_since"}, 5: {"customer_id"}}
    [missing] = [r for r in rows if isinstance(r, BrokenRow) and r.line == 5]
    assert missing.errors[0].message == "is required" and missing.errors[0].column is None


def test_header_aliases_delimiters_bom_and_unknown_columns_as_attributes():
    rows = read(
        "\ufeffID;Correo;Language;TZ;Plan;attributes.region;since\n"
        "C-1;ana@example.com;English;america/new_york;pro;north;2024-01-01\n"
    )
    [row] = rows
    assert isinstance(row, ImportedRow) and row.line == 2
    contact = row.contact
    assert (contact.customer_id, contact.email, contact.locale, contact.time_zone) == (
        "C-1",
        "ana@example.com",
        "en",
        "America/New_York",
    )
    assert contact.attributes == {"Plan": "pro", "region": "north"}
    assert contact.customer_since == date(2024, 1, 1)


def test_the_error_names_the_column_as_written_in_the_file():
    [row] = read("id,Correo\nC-1,nope\n")
    assert isinstance(row, BrokenRow)
    assert [(e.field, e.column) for e in row.errors] == [("email", "Correo")]


def test_line_numbers_count_physical_lines_across_quoted_line_breaks_and_blank_lines():
    rows = read(
        "id,name,email\n"
        'C-1,"Ana\nMaría",ana@example.com\n'  # a quoted line break: lines 2–3, and a name with a newline
        "\n"
        "C-2,Luis,bad\n"  # line 5
        'C-3,"Eva",eva@example.com\n'
    )  # line 6
    assert broken(rows) == {2: {"name"}, 5: {"email"}}
    assert [r.line for r in rows if isinstance(r, ImportedRow)] == [6]


def test_a_row_with_the_wrong_number_of_fields_is_reported_as_a_row():
    rows = read("id,email\nC-1\nC-2,a@example.com,extra\nC-3,b@example.com\n")
    assert broken(rows) == {2: {"row"}, 3: {"row"}}
    assert [r.contact.customer_id for r in rows if isinstance(r, ImportedRow)] == ["C-3"]


def test_a_runaway_quoted_field_is_reported_and_the_import_goes_on():
    huge = "x" * 70_000
    rows = read(f'id,name\nC-1,"{huge}\nC-2,Luis\n')
    assert isinstance(rows[0], BrokenRow) and rows[0].line == 2 and rows[0].errors[0].field == "row"
    assert [r.contact.customer_id for r in rows if isinstance(r, ImportedRow)] == ["C-2"]


@pytest.mark.parametrize(
    "text,column",
    [
        ("", "header"),
        ("\n\n", "header"),
        ("email,name\na@example.com,Ana\n", "customer_id"),
        ("id,customer_id\n1,2\n", "customer_id"),
        ("id,,email\n", "header"),
        ("id,plan,plan\n", "plan"),
    ],
)
def test_an_unusable_header_refuses_the_file_naming_the_column(text, column):
    with pytest.raises(CsvHeaderError) as caught:
        read_contacts_csv(io.StringIO(text, newline=""))
    assert caught.value.errors[0]["field"] == column


def test_the_parser_streams_it_never_reads_ahead_of_the_row_it_yields():
    consumed = 0

    def endless():
        nonlocal consumed
        yield "id,email\n"
        for i in itertools.count():
            consumed += 1
            yield f"C-{i},c{i}@example.com\n"

    rows = read_contacts_csv(endless())
    first = list(itertools.islice(rows, 1000))
    assert [r.contact.customer_id for r in first[:2]] == ["C-0", "C-1"]
    assert consumed <= 1001


def test_the_report_counts_and_details_broken_rows():
    report = ImportReport()
    for row in read("id,email\nC-1,a@example.com\nC-2,bad\n"):
        report.add(row)
    assert (report.imported, report.broken) == (1, 1)
    assert report.errors == [{"line": 3, "field": "email", "message": report.errors[0]["message"], "column": "email"}]
