"""Roster import: children with their guardians and categories from an xlsx with Chinese column
headers. A service: it validates every row in bulk (regions in scope and known identity numbers
are loaded in one query each), reports every row's errors, and writes nothing unless every row is
good — then it writes everything in one transaction with bulk inserts.

File layout (the downloadable template, `roster_template`): one row per child; a row whose child
columns (姓名, 身份证号) are empty adds another guardian to the child of the row above.
"""

import datetime
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.etree import ElementTree

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from simple_history.utils import bulk_create_with_history

from cases.children.categories import Category, is_paid
from cases.children.history import CaseloadHistory, CategorySince, category_start, history_errors, history_registered_on
from cases.children.list_cache import children_changed
from cases.children.models import CategoryMembership, Child, Guardian
from cases.children.rules import id_number_recorded_message, identity_check, membership_refusal
from cases.roster.models import RosterUpload
from welfare.audit import audit_record, audit_record_many
from welfare.errors import ApplicationError
from welfare.fields import copy_values
from welfare.idnumber import make_id_number, mask_id_number
from welfare.models import Region
from welfare.regioncodes import region_code_canonical
from welfare.roles import Action, require
from welfare.scoping import region_list
from welfare.validators import person_name_clean, phone_clean

# Column key -> Chinese header of the template. Order is the template's order.
COLUMNS: dict[str, str] = {
    "name": "姓名",
    "id_number": "身份证号",
    "sex": "性别",
    "birth_date": "出生日期",
    "region": "居住村(社区)代码",
    "household_region": "户籍地代码",
    "categories": "类别",
    "guardian_name": "监护人姓名",
    "guardian_relation": "监护人关系",
    "guardian_phone": "监护人电话",
    "guardian_migrant": "监护人外出务工",
    "guardian_work_place": "务工地点",
    # An existing caseload's dates (cases.children.history), all optional: the day every
    # category of the row began (a category may carry its own: 农村留守儿童(2023-05-01)), the
    # last check before the system, the first month of a paid category's allowance.
    "category_since": "类别起始日期",
    "last_checked_on": "最近一次走访日期",
    "start_month": "保障起始月份",
}


REQUIRED_COLUMNS = ("name", "id_number", "region")


HEADER_KEYS = {header: key for key, header in COLUMNS.items()}


# Headers as people type them: full-width brackets, spaces.
_HEADER_CLEAN = str.maketrans({"（": "(", "）": ")", " ": "", "\u3000": ""})


CATEGORY_NAMES: dict[str, str] = {
    "机构集中养育孤儿": Category.ORPHAN_INSTITUTION,
    "机构养育孤儿": Category.ORPHAN_INSTITUTION,
    "社会散居孤儿": Category.ORPHAN_SCATTERED,
    "散居孤儿": Category.ORPHAN_SCATTERED,
    "事实无人抚养儿童": Category.DE_FACTO_UNSUPPORTED,
    "受艾滋病影响儿童": Category.HIV_AFFECTED,
    "重点困境儿童": Category.KEY_DIFFICULTY,
    "困境儿童": Category.KEY_DIFFICULTY,
    "被收养的残疾孤儿": Category.ADOPTED_DISABLED_ORPHAN,
    "农村留守儿童": Category.LEFT_BEHIND,
    "留守儿童": Category.LEFT_BEHIND,
    "流动儿童": Category.MIGRANT,
    "监护风险儿童": Category.GUARDIANSHIP_RISK,
    "流浪未成年人": Category.STREET_MINOR,
}


RELATION_NAMES: dict[str, str] = {
    "父亲": Guardian.Relation.FATHER,
    "父": Guardian.Relation.FATHER,
    "母亲": Guardian.Relation.MOTHER,
    "母": Guardian.Relation.MOTHER,
    "祖父母": Guardian.Relation.GRANDPARENT,
    "祖父": Guardian.Relation.GRANDPARENT,
    "祖母": Guardian.Relation.GRANDPARENT,
    "外祖父": Guardian.Relation.GRANDPARENT,
    "外祖母": Guardian.Relation.GRANDPARENT,
    "爷爷": Guardian.Relation.GRANDPARENT,
    "奶奶": Guardian.Relation.GRANDPARENT,
    "外公": Guardian.Relation.GRANDPARENT,
    "外婆": Guardian.Relation.GRANDPARENT,
    "其他亲属": Guardian.Relation.RELATIVE,
    "亲属": Guardian.Relation.RELATIVE,
    "委托照护人": Guardian.Relation.ENTRUSTED,
    "受委托监护人": Guardian.Relation.ENTRUSTED,
}


SEX_NAMES = {"男": "M", "女": "F", "M": "M", "F": "F", "MALE": "M", "FEMALE": "F"}


YES = {"是", "Y", "YES", "TRUE", "1", "√"}


NO = {"否", "N", "NO", "FALSE", "0", ""}


_SPLIT = re.compile(r"[、,，;；/\s]+")


_DATE_PATTERNS = (
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"),
    re.compile(r"^(\d{4})\.(\d{1,2})\.(\d{1,2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


XLSX_SIGNATURE = b"PK\x03\x04"


@dataclass
class RowError:
    row: int  # the spreadsheet's row number (the header is row 1)
    column: str  # the Chinese header, or "" for the whole row
    message: str


@dataclass
class ImportReport:
    """What a dry run or a commit found. `ok` means every row is good (and, on commit, written)."""

    rows: int = 0
    children: int = 0
    guardians: int = 0
    memberships: int = 0
    committed: bool = False
    file_errors: list[str] = field(default_factory=list)
    row_errors: list[RowError] = field(default_factory=list)
    preview: list[dict] = field(default_factory=list)
    # What the rows' dates will give (an existing caseload, cases.children.history): left-behind
    # children overdue or due soon for a check at once, and paid children by first month.
    overdue: int = 0
    due_soon: int = 0
    paid_from: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.row_errors

    def errors_by_row(self) -> list[tuple[int, list[RowError]]]:
        grouped: dict[int, list[RowError]] = {}
        for error in self.row_errors:
            grouped.setdefault(error.row, []).append(error)
        return sorted(grouped.items())


@dataclass
class _GuardianRow:
    name: str
    relation: str
    phone: str
    is_migrant_worker: bool
    work_place: str


@dataclass
class _ChildRow:
    row: int
    name: str
    id_number: str | None
    sex: str
    birth_date: datetime.date
    region_code: str
    household_code: str
    categories: list[str]
    guardians: list[_GuardianRow] = field(default_factory=list)
    history: CaseloadHistory | None = None  # an existing caseload's dates, None when the row has none


def roster_read_xlsx(file) -> tuple[list[str], Iterator[tuple[int, list[Any]]]]:
    """Open an uploaded xlsx and stream its first sheet. Returns the header cells and an iterator
    of (row number, cell values). Formula cells come through as `Formula` values.

    A small streaming reader (the C expat parser of the standard library) rather than
    openpyxl's pure-Python one: a 50,000-row roster is read in seconds, in little memory."""
    head = file.read(4)
    file.seek(0)
    if head != XLSX_SIGNATURE:
        raise ApplicationError(_("The file is not an Excel workbook (.xlsx). Save it as .xlsx and upload it again."))
    try:
        reader = _XlsxReader(file)
        rows = reader.rows()
        first = next(rows, None)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, ValueError, IndexError, OSError, EOFError):
        raise ApplicationError(_("The file is not an Excel workbook (.xlsx). Save it as .xlsx and upload it again.")) from None
    if first is None:
        raise ApplicationError(_("The file is empty: it has no header row and no rows."))
    headers = [("" if h is None else str(h)) for h in first[1]]

    def body() -> Iterator[tuple[int, list[Any]]]:
        try:
            yield from rows
        except (ElementTree.ParseError, KeyError, ValueError, IndexError, zipfile.BadZipFile, OSError, EOFError):
            raise ApplicationError(_("The workbook is damaged: it cannot be read to the end.")) from None

    return headers, body()


class Formula(str):
    """A cell that holds a formula instead of a value."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


_MAIN_NS = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main", "http://purl.oclc.org/ooxml/spreadsheetml/main")


_V_TAGS, _F_TAGS, _IS_TAGS, _T_TAGS, _R_TAGS = ({f"{{{ns}}}{name}" for ns in _MAIN_NS} for name in ("v", "f", "is", "t", "r"))


_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


_STRICT_REL_NS = "{http://purl.oclc.org/ooxml/officeDocument/relationships}id"


MAX_XML_BYTES = 1024 * 1024 * 1024  # a sheet that unpacks to more than this is refused (zip bomb)


class _XlsxReader:
    """Rows of the first worksheet: shared and inline strings, numbers, booleans, dates (by the
    cell's number format), formulas."""

    def __init__(self, file):
        self.zip = zipfile.ZipFile(file)
        names = set(self.zip.namelist())
        workbook = ElementTree.fromstring(self._read("xl/workbook.xml"))  # noqa: S314
        self.date1904 = any(
            _local(el.tag) == "workbookPr" and el.get("date1904") in ("1", "true") for el in workbook.iter()
        )
        sheet = next(el for el in workbook.iter() if _local(el.tag) == "sheet")
        rel_id = sheet.get(_REL_NS) or sheet.get(_STRICT_REL_NS)
        rels = ElementTree.fromstring(self._read("xl/_rels/workbook.xml.rels"))  # noqa: S314
        target = next(el.get("Target") for el in rels.iter() if _local(el.tag) == "Relationship" and el.get("Id") == rel_id)
        target = (target or "").lstrip("/")
        self.sheet_path = target if target.startswith("xl/") else f"xl/{target}"
        self.shared = self._shared_strings() if "xl/sharedStrings.xml" in names else []
        self.date_styles = self._date_styles() if "xl/styles.xml" in names else set()

    def _read(self, name: str) -> bytes:
        if self.zip.getinfo(name).file_size > MAX_XML_BYTES:
            raise ValueError("too large")
        return self.zip.read(name)

    def _open(self, name: str):
        if self.zip.getinfo(name).file_size > MAX_XML_BYTES:
            raise ValueError("too large")
        return self.zip.open(name)

    def _shared_strings(self) -> list[str]:
        strings: list[str] = []
        with self._open("xl/sharedStrings.xml") as handle:
            for _event, el in ElementTree.iterparse(handle, events=("end",)):  # noqa: S314
                if _local(el.tag) == "si":
                    strings.append(_string_item(el))
                    el.clear()
        return strings

    def _date_styles(self) -> set[int]:
        from openpyxl.styles.numbers import BUILTIN_FORMATS, is_date_format

        root = ElementTree.fromstring(self._read("xl/styles.xml"))  # noqa: S314
        custom = {}
        for el in root.iter():
            if _local(el.tag) == "numFmt":
                custom[int(el.get("numFmtId", "0"))] = el.get("formatCode", "")
        dates: set[int] = set()
        cell_xfs = next((el for el in root.iter() if _local(el.tag) == "cellXfs"), None)
        for index, xf in enumerate(cell_xfs if cell_xfs is not None else []):
            fmt_id = int(xf.get("numFmtId", "0"))
            code = custom.get(fmt_id) or BUILTIN_FORMATS.get(fmt_id, "")
            if code and is_date_format(code):
                dates.add(index)
        return dates

    def rows(self) -> Iterator[tuple[int, list[Any]]]:
        from openpyxl.utils.cell import column_index_from_string
        from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

        epoch = CALENDAR_MAC_1904 if self.date1904 else CALENDAR_WINDOWS_1900
        columns: dict[str, int] = {}
        values: list[Any] = []
        row_number = 0
        cell_tags = {f"{{{ns}}}c" for ns in _MAIN_NS}
        row_tags = {f"{{{ns}}}row" for ns in _MAIN_NS}
        with self._open(self.sheet_path) as handle:
            for _event, el in ElementTree.iterparse(handle, events=("end",)):  # noqa: S314
                tag = el.tag
                if tag in cell_tags:
                    ref = el.get("r")
                    if ref:
                        letters = ref.rstrip("0123456789")
                        index = columns.get(letters)
                        if index is None:
                            index = columns[letters] = column_index_from_string(letters) - 1
                    else:
                        index = len(values)
                    if index > 200:
                        raise ValueError("too many columns")
                    value = self._cell(el, epoch, from_excel)
                    if index >= len(values):
                        values.extend([None] * (index + 1 - len(values)))
                    values[index] = value
                elif tag in row_tags:
                    row_number = int(el.get("r") or row_number + 1)
                    yield row_number, values
                    values = []
                    el.clear()

    def _cell(self, el, epoch, from_excel) -> Any:
        kind = el.get("t", "n")
        raw = None
        formula = None
        inline = None
        for child in el:
            tag = child.tag
            if tag in _V_TAGS:
                raw = child.text
            elif tag in _F_TAGS:
                formula = child.text or "="
            elif tag in _IS_TAGS:
                inline = _string_item(child)
        if formula is not None:
            return Formula("=" + formula.lstrip("="))
        if kind == "inlineStr":
            return inline
        if raw is None:
            return None
        if kind == "s":
            return self.shared[int(raw)]
        if kind in ("str", "e"):
            return raw
        if kind == "b":
            return raw in ("1", "true")
        if kind == "d":
            return raw
        number = float(raw)
        if int(el.get("s", "0")) in self.date_styles:
            try:
                return from_excel(number, epoch)
            except (ValueError, OverflowError):
                return raw
        return int(number) if number.is_integer() and "E" not in raw.upper() and "." not in raw else number


def _string_item(el) -> str:
    """The text of a shared-string item or an inline string (rich-text runs joined, phonetic
    guides left out)."""
    parts = []
    for child in el:
        tag = child.tag
        if tag in _T_TAGS:
            parts.append(child.text or "")
        elif tag in _R_TAGS:
            parts.extend((t.text or "") for t in child if t.tag in _T_TAGS)
    return "".join(parts)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _parse_date(value: Any) -> datetime.date | None:
    """Dates as Excel stores them, or typed as 2015-03-14, 2015/3/14, 2015.3.14, 2015年3月14日, 20150314."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = _text(value)
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match:
            try:
                return datetime.date(int(match[1]), int(match[2]), int(match[3]))
            except ValueError:
                return None
    return None


def roster_headers_check(headers: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    """Map column keys to positions; return (positions, file-level errors)."""
    positions: dict[str, int] = {}
    errors: list[str] = []
    unknown = []
    for index, raw in enumerate(headers):
        header = (raw or "").translate(_HEADER_CLEAN)
        if not header:
            continue
        key = HEADER_KEYS.get(header)
        if key is None:
            unknown.append(raw)
        elif key in positions:
            errors.append(_("The column “%(h)s” appears twice.") % {"h": header})
        else:
            positions[key] = index
    missing = [COLUMNS[k] for k in REQUIRED_COLUMNS if k not in positions]
    if missing:
        errors.append(
            _("These columns are missing: %(missing)s. Use the template: its first row holds the column headers.")
            % {"missing": "、".join(missing)}
        )
    if unknown:
        errors.append(
            _("These columns are not known: %(unknown)s. The known columns are: %(known)s.")
            % {"unknown": "、".join(str(u) for u in unknown), "known": "、".join(COLUMNS.values())}
        )
    return positions, errors


def roster_validate(
    *, by, headers: Sequence[str], rows: Iterable[tuple[int, Sequence[Any]]], report: ImportReport
) -> list[_ChildRow]:
    """Check every row; fill `report` with every error. Returns the parsed children (meaningful
    only when the report is ok). In three steps: the header row (`roster_headers_check`), each row
    on its own (`_row_read`), then what needs the database, for the whole file at once
    (`_check_against_database`)."""
    positions, header_errors = roster_headers_check(headers)
    if header_errors:
        report.file_errors += header_errors
        return []
    limit = settings.IMPORT_MAX_ROWS
    today = timezone.localdate()
    children: list[_ChildRow] = []
    seen_numbers: dict[str, int] = {}
    for row in _rows_of(rows, positions):
        report.rows += 1
        if report.rows > limit:
            report.file_errors.append(
                _("The file has more than %(limit)s rows: split it into several files of at most %(limit)s rows.")
                % {"limit": f"{limit:,}"}
            )
            return []
        _row_read(row, children=children, seen_numbers=seen_numbers, today=today)
        report.row_errors.extend(row.errors)
    if report.rows == 0:
        report.file_errors.append(_("The file has a header row but no children."))
        return []
    _check_against_database(by=by, children=children, errors=report.row_errors)
    report.row_errors.sort(key=lambda e: e.row)
    return children


class _Row:
    """One row of the sheet being read: its cells by column key, and the errors found in it."""

    def __init__(self, number: int, values: list[Any], index_of: dict[str, int]):
        self.number = number
        self.errors: list[RowError] = []
        self._values, self._index_of = values, index_of

    def cell(self, key: str) -> Any:
        return self._values[self._index_of[key]]

    def text(self, key: str) -> str:
        return _text(self.cell(key))

    def formula_keys(self) -> list[str]:
        """The columns whose cell holds a formula instead of a value."""
        if not any(type(v) is Formula for v in self._values):
            return []
        return [key for key in COLUMNS if isinstance(self.cell(key), Formula)]

    def err(self, key: str, message: str) -> None:
        self.errors.append(RowError(self.number, COLUMNS.get(key, ""), message))


def _rows_of(rows: Iterable[tuple[int, Sequence[Any]]], positions: dict[str, int]) -> Iterator[_Row]:
    """The rows that are not blank. Each is padded to the columns of the header; a column the
    file lacks reads an always-empty last cell."""
    width = max(positions.values(), default=0) + 2
    index_of = {key: positions.get(key, width - 1) for key in COLUMNS}
    for number, values in rows:
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue
        if len(values) < width:
            padded = list(values) + [None] * (width - len(values))
        else:
            padded = list(values[: width - 1]) + [None]
        yield _Row(number, padded, index_of)


def _row_read(row: _Row, *, children: list[_ChildRow], seen_numbers: dict[str, int], today: datetime.date) -> None:
    """Read one row on its own: a child (added to `children`, marked bad by a negative row
    number when the row has errors), or another guardian of the child above; a row with a
    formula is only refused. `seen_numbers`: the file's numbers so far, by row."""
    formulas = row.formula_keys()
    for key in formulas:
        row.err(key, _("This cell holds a formula: paste the value instead."))
    if formulas:
        return
    guardian = _guardian_from(row)
    if not row.text("name") and not row.text("id_number"):
        # A guardian-only row: another guardian of the child above.
        if guardian is None:
            row.err("guardian_name", _("A row without the child's name and identity number must give another guardian of the child above."))
        elif not children:
            row.err("name", _("Enter the child's name."))
        else:
            children[-1].guardians.append(guardian)
        return
    name = _name_from(row)
    id_number, sex, birth = _identity_from(row, today=today)
    if id_number is not None:
        if id_number in seen_numbers:
            row.err("id_number", _("This identity number is already in row %(row)s of the file.") % {"row": seen_numbers[id_number]})
        else:
            seen_numbers[id_number] = row.number
    region_code = region_code_canonical(row.text("region")) if row.text("region") else ""  # official forms (welfare.regioncodes)
    if not region_code:
        row.err("region", _("Enter the code of the village or community where the child lives."))
    categories, dated = _categories_from(row)
    identity_refused = any(e.column in (COLUMNS["id_number"], COLUMNS["birth_date"]) for e in row.errors)
    history = _history_from(row, categories=categories, dated=dated, birth_date=None if identity_refused else birth, today=today)
    children.append(
        _ChildRow(
            row=row.number if not row.errors else -row.number,
            name=name,
            id_number=id_number,
            sex=sex,
            birth_date=birth,
            region_code=region_code,
            household_code=region_code_canonical(row.text("household_region")) if row.text("household_region") else region_code,
            categories=categories,
            guardians=[guardian] if guardian else [],
            history=history,
        )
    )


def _name_from(row: _Row) -> str:
    name = row.text("name")
    if not name:
        row.err("name", _("Enter the child's name."))
    elif len(name) > 50:
        row.err("name", _("The name is too long (at most 50 characters)."))
    else:
        try:
            name = person_name_clean(name)
        except ValidationError as exc:
            row.err("name", exc.messages[0])
    return name


def _identity_from(row: _Row, *, today: datetime.date) -> tuple[str | None, str, datetime.date]:
    """The number, sex and birth date of the row's child by the identity rules
    (cases.children.rules.identity_check); a sex or date cell that cannot be read is refused
    once, as such. Returns (number or None, sex, birth date), placeholders where refused."""
    sex_text = row.text("sex")
    sex = SEX_NAMES.get(sex_text.upper()) if sex_text else None
    unreadable = set()
    if sex_text and sex is None:
        row.err("sex", _("Write the sex as 男 or 女."))
        unreadable.add("sex")
    birth_raw = row.cell("birth_date")
    birth = _parse_date(birth_raw) if _text(birth_raw) or isinstance(birth_raw, datetime.date) else None
    if birth_raw not in (None, "") and birth is None:
        row.err("birth_date", _("The date “%(value)s” is not understood: write it as 2015-03-14.") % {"value": _text(birth_raw)[:20]})
        unreadable.add("birth_date")
    identity = identity_check(id_number=row.text("id_number"), sex=sex, birth_date=birth, today=today)
    for key, message in identity.errors.items():
        if key not in unreadable:
            row.err(key, message)
    number = None if "id_number" in identity.errors else identity.id_number
    return number, identity.sex or "M", identity.birth_date or today


_DATED_CATEGORY = re.compile(r"^(?P<name>[^(（]+)[(（](?P<date>[^)）]*)[)）]$")


def _categories_from(row: _Row) -> tuple[list[str], dict[str, datetime.date]]:
    """The row's categories (named in Chinese or by code), each once, by the membership rule
    (cases.children.rules.membership_refusal: one paid category at a time); and the dates some
    of them carry, 农村留守儿童(2023-05-01) (an existing caseload)."""
    categories: list[str] = []
    dated: dict[str, datetime.date] = {}
    refusal = None
    # Dates inside brackets may hold / or spaces: they are read before the list is split.
    text = re.sub(r"[(（][^)）]*[)）]", lambda m: m[0].replace("/", "-").replace(" ", ""), row.text("categories"))
    for token in _SPLIT.split(text):
        if not token:
            continue
        match = _DATED_CATEGORY.match(token)
        if match:
            token = match["name"].strip()
            day = _parse_date(match["date"])
            code = CATEGORY_NAMES.get(token) or (token if token in Category.values else None)
            if day is None:
                row.err("categories", _("“%(d)s” is not a date: write the day the category began as 2023-05-01.") % {"d": match["date"][:20]})
            elif code is not None:
                dated[code] = day
        code = CATEGORY_NAMES.get(token) or (token if token in Category.values else None)
        if code is None:
            row.err("categories", _("Unknown category “%(c)s”.") % {"c": token[:30]})
        elif code not in categories:
            refusal = refusal or membership_refusal(category=code, open_categories=categories)
            categories.append(code)
    if refusal is not None:
        row.err("categories", refusal)
    return categories, dated


def _history_from(
    row: _Row, *, categories: list[str], dated: dict[str, datetime.date], birth_date: datetime.date | None, today: datetime.date
) -> CaseloadHistory | None:
    """The row's caseload history (cases.children.history): the category dates, the last check,
    a paid category's first allowance month, refused by `history_errors` with the row number."""
    since = last = month = None
    if row.text("category_since"):
        since = _parse_date(row.cell("category_since"))
        if since is None:
            row.err("category_since", _("“%(d)s” is not a date: write it as 2023-05-01.") % {"d": row.text("category_since")[:20]})
    if row.text("last_checked_on"):
        last = _parse_date(row.cell("last_checked_on"))
        if last is None:
            row.err("last_checked_on", _("“%(d)s” is not a date: write it as 2023-05-01.") % {"d": row.text("last_checked_on")[:20]})
    if row.text("start_month"):
        month = _parse_month(row.cell("start_month"))
        if month is None:
            row.err("start_month", _("“%(d)s” is not a month: write it as 2023-05.") % {"d": row.text("start_month")[:20]})
        elif not any(is_paid(c) for c in categories):
            row.err("start_month", _("An allowance start month needs a paid category in the row."))
    history = CaseloadHistory(
        categories=tuple(
            CategorySince(code=c, since=dated.get(c, since), start_month=month if is_paid(c) else None) for c in categories
        ),
        last_checked_on=last,
    )
    if history.is_empty:
        return None
    errors = history_errors(history=history, birth_date=birth_date, today=today)
    for key, message in errors.items():
        row.err(key, message)
    return history


def _parse_month(value: Any) -> datetime.date | None:
    """A month as Excel stores it (a date) or typed as 2023-05, 2023/5, 2023.5, 2023年5月, 202305."""
    if isinstance(value, datetime.date):
        return (value.date() if isinstance(value, datetime.datetime) else value).replace(day=1)
    match = re.match(r"^(\d{4})(?:[-/.年]?)(\d{1,2})月?$", _text(value))
    if match is None or not 1 <= int(match[2]) <= 12:
        day = _parse_date(value)
        return day.replace(day=1) if day is not None else None
    return datetime.date(int(match[1]), int(match[2]), 1)


def _guardian_from(row: _Row) -> _GuardianRow | None:
    name = row.text("guardian_name")
    relation_raw = row.text("guardian_relation")
    phone = row.text("guardian_phone")
    migrant_raw = row.text("guardian_migrant").upper()
    work_place = row.text("guardian_work_place")
    if not (name or relation_raw or phone or work_place):
        return None
    ok = True
    if not name or len(name) > 50:
        row.err("guardian_name", _("Enter the guardian's name (at most 50 characters)."))
        ok = False
    else:
        try:
            name = person_name_clean(name)
        except ValidationError as exc:
            row.err("guardian_name", exc.messages[0])
            ok = False
    relation = RELATION_NAMES.get(relation_raw) or (relation_raw if relation_raw in Guardian.Relation.values else None)
    if relation is None:
        row.err("guardian_relation", _("Write the relation as 父亲, 母亲, 祖父母, 其他亲属 or 委托照护人."))
        ok = False
    try:
        phone = phone_clean(phone)
    except ValidationError as exc:
        row.err("guardian_phone", exc.messages[0])
        ok = False
    if migrant_raw not in YES and migrant_raw not in NO:
        row.err("guardian_migrant", _("Write 是 or 否."))
        ok = False
    if len(work_place) > 100:
        row.err("guardian_work_place", _("The place is too long (at most 100 characters)."))
        ok = False
    if not ok:
        return None
    migrant = migrant_raw in YES
    return _GuardianRow(name=name, relation=relation or "", phone=phone, is_migrant_worker=migrant, work_place=work_place if migrant else "")


def _check_against_database(*, by, children: list[_ChildRow], errors: list[RowError]) -> None:
    """What needs the database, for the whole file at once: the regions, then the numbers
    recorded already. A child found bad here is marked too (a negative row number)."""
    _check_regions(by=by, children=children, errors=errors)
    _check_recorded_numbers(by=by, children=children, errors=errors)
    _check_paying_counties(by=by, children=children, errors=errors)


def _check_paying_counties(*, by, children: list[_ChildRow], errors: list[RowError]) -> None:
    """A row with an allowance start month is paid by the county of its household registration,
    which must be in the importer's area (benefits' enrollment of an existing caseload)."""
    from welfare.scoping import in_scope

    paid = [c for c in children if c.row > 0 and c.history is not None and c.history.paid is not None and c.household_code]
    regions = Region.objects.in_bulk({int(c.household_code) for c in paid})
    for child in paid:
        household = regions.get(int(child.household_code))
        county = household if household is None or household.level == Region.Level.COUNTY else household.ancestor_at(Region.Level.COUNTY)
        if county is None or not in_scope(by, county):
            _refuse(child, errors, "start_month", _("The allowance is paid by the county of household registration, which is outside your area: leave the start month empty."))


def roster_history_forecast(*, children: list[_ChildRow], report: ImportReport, today: datetime.date) -> None:
    """Fill the dry run's figures: how many left-behind children the import makes overdue or due
    soon (the due-date rule of cases.checks.dates on the rows' dates) and how many are paid from
    which month."""
    from cases.checks.dates import check_due_from, check_state_for, check_tracked_on

    paid_from: dict[str, int] = {}
    for row in children:
        history = row.history
        if history is not None and history.paid is not None and history.paid.start_month is not None:
            month = history.paid.start_month.strftime("%Y-%m")
            paid_from[month] = paid_from.get(month, 0) + 1
        if Category.LEFT_BEHIND not in row.categories or not check_tracked_on(birth_date=row.birth_date, today=today):
            continue
        registered = history_registered_on(history, today=today) if history is not None else today
        became = _history_starts(row, today=today).get(Category.LEFT_BEHIND, today)
        due = check_due_from(registered_on=registered, became_on=became, last_checked_on=history.last_checked_on if history else None)
        state = check_state_for(due, today=today)
        report.overdue += state == Child.CheckState.OVERDUE
        report.due_soon += state == Child.CheckState.DUE_SOON
    report.paid_from = dict(sorted(paid_from.items()))


def _refuse(child: _ChildRow, errors: list[RowError], key: str, message: str) -> None:
    errors.append(RowError(abs(child.row), COLUMNS[key], message))
    child.row = -abs(child.row)


def _check_regions(*, by, children: list[_ChildRow], errors: list[RowError]) -> None:
    """Each village is a village in the importer's area and each household region exists (one
    query each); the codes then become region ids for the writer."""
    village_codes = {c.region_code for c in children if c.region_code}
    in_scope = dict(
        region_list(user=by).filter(code__in=village_codes, level=Region.Level.VILLAGE).values_list("code", "id")
    )
    outside = village_codes - in_scope.keys()
    known_elsewhere = dict(Region.objects.filter(code__in=outside).values_list("code", "level")) if outside else {}
    household_codes = {c.household_code for c in children if c.household_code} - in_scope.keys()
    households = dict(Region.objects.filter(code__in=household_codes).values_list("code", "id")) if household_codes else {}
    for child in children:
        if child.region_code and child.region_code not in in_scope:
            level = known_elsewhere.get(child.region_code)
            if level is None:
                message = _("There is no region with the code %(code)s.") % {"code": child.region_code[:20]}
            elif level != Region.Level.VILLAGE:
                message = _("%(code)s is not a village or community code.") % {"code": child.region_code}
            else:
                message = _("The village %(code)s is outside your area of responsibility.") % {"code": child.region_code}
            _refuse(child, errors, "region", message)
        if child.household_code and child.household_code not in in_scope and child.household_code not in households:
            _refuse(child, errors, "household_region", _("There is no region with the code %(code)s.") % {"code": child.household_code[:20]})
        child.region_code = f"{in_scope.get(child.region_code, '')}"
        child.household_code = f"{in_scope.get(child.household_code) or households.get(child.household_code, '')}"


def _check_recorded_numbers(*, by, children: list[_ChildRow], errors: list[RowError]) -> None:
    """Numbers recorded already (one query per 10,000 numbers), refused as
    `id_number_recorded_message` says: the village for a child in the importer's area, the county
    at most for anyone else's, and that lookup is in the access log (docs/SECURITY.md, "Lookups
    by identity number")."""
    numbers = [c.id_number for c in children if c.id_number]
    existing: dict[str | None, tuple[str, int, str]] = {}  # number -> (region path, child id, name)
    for start in range(0, len(numbers), 10_000):
        # Numbers are stored encrypted: found by their blind index (ChildQuerySet.with_id_numbers).
        for id_number, path, child_id, child_name in Child.objects.with_id_numbers(
            numbers[start : start + 10_000]
        ).values_list("id_number", "region__path", "id", "name"):
            existing[id_number] = (path, child_id, child_name)
    if not existing:
        return
    names: dict[str, str] = {}
    above_county: set[str] = set()
    codes = {code for path, _id, _name in existing.values() for code in path.split("/") if code}
    for code, name, region_level in Region.objects.filter(code__in=codes).values_list("code", "name", "level"):
        names[code] = name
        if region_level in (Region.Level.PROVINCE, Region.Level.CITY, Region.Level.COUNTY):
            above_county.add(code)
    scope = by.scope_path
    elsewhere: list[Child] = []
    for child in children:
        if child.id_number not in existing:
            continue
        number = child.id_number
        assert number is not None
        path, child_id, child_name = existing[number]
        if scope is not None and path.startswith(scope):
            where = "".join(names.get(code, code) for code in path.split("/") if code)
            message = id_number_recorded_message(number=number, region=where, county=None)
        else:
            county = "".join(names.get(code, code) for code in path.split("/") if code in above_county)
            message = id_number_recorded_message(number=number, region=None, county=county or None)
            elsewhere.append(Child(id=child_id, name=child_name))
        _refuse(child, errors, "id_number", message)
    if elsewhere:
        audit_record_many(actor=by, action="id_number.looked_up", targets=elsewhere, detail={"purpose": "roster_import"})


def _insert(model, rows: list[dict[str, Any]], *, by, now: datetime.datetime) -> list[int]:
    """Insert rows (dicts of field attnames; the other fields take their defaults) with their
    history rows ("created", by the importer); answer the new ids in order. On PostgreSQL: ids
    drawn from the sequence in one query, then COPY (the fast path for 50,000 rows); elsewhere
    simple-history's bulk_create_with_history."""
    from django.db import connection

    if not rows:
        return []
    opts = model._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    defaults = {f.attname: f.get_default() for f in fields}
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.attname] = now
    if connection.vendor != "postgresql":
        objs = [model(**{**defaults, **row}) for row in rows]
        created = bulk_create_with_history(objs, model, batch_size=1000, default_user=by, default_change_reason="import", default_date=now)
        return [obj.pk for obj in created]
    history = model.history.model
    special = {"history_date": now, "history_change_reason": "import", "history_type": "+", "history_user_id": by.pk}
    history_fields = [f for f in history._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [opts.db_table, opts.pk.column, len(rows)],
        )
        ids = [pk for (pk,) in cursor.fetchall()]
        names = [f.attname for f in fields]
        history_names = [f.attname for f in history_fields]
        raw = cursor.cursor
        columns = ", ".join([quote(opts.pk.column)] + [quote(f.column) for f in fields])
        history_columns = ", ".join(quote(f.column) for f in history_fields)
        merged = []
        with raw.copy(f"COPY {quote(opts.db_table)} ({columns}) FROM STDIN") as copy:
            for pk, row in zip(ids, rows, strict=True):
                # Identity and phone numbers encrypted, their blind indexes computed (welfare/fields.py),
                # as a save would: the history rows below get the same ciphertext.
                values = copy_values(opts, {**defaults, **row, opts.pk.attname: pk, **special}, connection)
                merged.append(values)
                copy.write_row([pk] + [values[name] for name in names])
        with raw.copy(f"COPY {quote(history._meta.db_table)} ({history_columns}) FROM STDIN") as copy:
            for values in merged:
                copy.write_row([values[name] for name in history_names])
    children_changed(None)  # COPY bypasses the ORM: retire the cached child lists (cases.children.list_cache)
    return ids


def _write(*, by, children: list[_ChildRow], report: ImportReport) -> None:
    now = timezone.now()
    today = timezone.localdate()
    reason = _("Imported roster")
    ids = _insert(
        Child,
        [
            {
                "name": c.name,
                "id_number": c.id_number,
                "sex": c.sex,
                "birth_date": c.birth_date,
                "region_id": int(c.region_code),
                "household_region_id": int(c.household_code),
                "registered_on": history_registered_on(c.history, today=today) if c.history else today,
                "created_by_id": by.pk,
            }
            for c in children
        ],
        by=by,
        now=now,
    )
    guardians: list[dict[str, Any]] = []
    memberships: list[dict[str, Any]] = []
    for row, child_id in zip(children, ids, strict=True):
        for g in row.guardians:
            guardians.append(
                {
                    "child_id": child_id,
                    "name": g.name,
                    "relation": g.relation,
                    "phone": g.phone,
                    "is_migrant_worker": g.is_migrant_worker,
                    "work_place": g.work_place,
                }
            )
        starts = _history_starts(row, today=today)
        for category in row.categories:
            memberships.append({"child_id": child_id, "category": category, "start_date": starts.get(category, today), "reason": reason})
    _insert(Guardian, guardians, by=by, now=now)
    _insert(CategoryMembership, memberships, by=by, now=now)
    report.children, report.guardians, report.memberships = len(ids), len(guardians), len(memberships)
    _write_history(by=by, children=children, ids=ids, today=today)


def _history_starts(row: _ChildRow, *, today: datetime.date) -> dict[str, datetime.date]:
    """The first day of each of the row's memberships (cases.children.history.category_start)."""
    if row.history is None:
        return {}
    registered = history_registered_on(row.history, today=today)
    return {item.code: category_start(item, registered_on=registered) for item in row.history.categories}


def _write_history(*, by, children: list[_ChildRow], ids: list[int], today: datetime.date) -> None:
    """What an existing caseload brings beyond the rows: the last checks (cases.checks), the
    allowances from their first month (benefits' enrollment of an existing caseload), and every
    imported left-behind child's due date and state now rather than at the next daily run."""
    from benefits.enrollments.services import enrollment_create
    from cases.checks.services import checks_imported_record, checks_schedule_children

    histories = [(row.history, child_id) for row, child_id in zip(children, ids, strict=True) if row.history is not None]
    checks_imported_record(by=by, last_checks={i: h.last_checked_on for h, i in histories if h.last_checked_on is not None})
    paid = [(h.paid, i) for h, i in histories if h.paid is not None]
    if paid:
        by_id = Child.objects.select_related("household_region", "region").in_bulk([i for _item, i in paid])
        for item, child_id in paid:
            assert item is not None and item.start_month is not None
            enrollment_create(by=by, child=by_id[child_id], category=item.code, start_month=item.start_month)
    left_behind = [i for row, i in zip(children, ids, strict=True) if Category.LEFT_BEHIND in row.categories]
    checks_schedule_children(child_ids=left_behind, today=today)


def roster_import_rows(
    *, by, headers: Sequence[str], rows: Iterable[tuple[int, Sequence[Any]]], commit: bool, file_name: str = ""
) -> ImportReport:
    """Validate rows (and, when `commit` and every row is good, write them all in one
    transaction). Nothing is written when any row has an error."""
    require(by, Action.IMPORT)
    report = ImportReport()
    children = roster_validate(by=by, headers=headers, rows=rows, report=report)
    report.preview = [
        {
            "row": abs(c.row),
            "name": c.name,
            "id_number": mask_id_number(c.id_number),
            "categories": c.categories,
            "guardians": [g.name for g in c.guardians],
        }
        for c in children[:20]
    ]
    if report.ok:
        roster_history_forecast(children=children, report=report, today=timezone.localdate())
    if not report.ok or not commit:
        return report
    try:
        with transaction.atomic():
            _write(by=by, children=children, report=report)
            audit_record(
                actor=by,
                action="children.imported",
                record_count=report.children,
                detail={"file": file_name[:100], "guardians": report.guardians, "memberships": report.memberships},
            )
    except IntegrityError:
        # Someone recorded one of these numbers while we were validating: nothing was written.
        report.children = report.guardians = report.memberships = 0
        report.file_errors.append(_("Some of these children were recorded by someone else a moment ago: check the file again."))
        return report
    report.committed = True
    return report


def roster_import(*, by, file, commit: bool, file_name: str = "") -> ImportReport:
    """Import a roster xlsx: a dry run (`commit=False`) reports every row's errors; a commit
    writes everything or nothing."""
    require(by, Action.IMPORT)
    size = getattr(file, "size", None)
    if size is not None and size > settings.UPLOAD_MAX_BYTES:
        report = ImportReport()
        report.file_errors.append(_("The file is too large (at most %(mb)s MB).") % {"mb": settings.UPLOAD_MAX_BYTES // (1024 * 1024)})
        return report
    if size == 0:
        report = ImportReport()
        report.file_errors.append(_("The file is empty."))
        return report
    try:
        headers, rows = roster_read_xlsx(file)
    except ApplicationError as exc:
        report = ImportReport()
        report.file_errors.append(str(exc.message))
        return report
    return roster_import_rows(by=by, headers=headers, rows=rows, commit=commit, file_name=file_name)


TEMPLATE_HELP = gettext_lazy(
    "One row per child. A row with only the guardian columns filled adds another guardian to the child above. "
    "Dates as 2015-03-14. Categories separated by 、 (e.g. 农村留守儿童、重点困境儿童)."
)


def roster_template() -> bytes:
    """The xlsx template: the header row, one example, and a sheet listing the accepted values."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    sheet.append(list(COLUMNS.values()))
    example_number = make_id_number("370402", datetime.date(2015, 3, 14), 5, "M")
    sheet.append(["张小明", example_number, "男", "2015-03-14", "370402001001", "370402001001", "农村留守儿童", "张大山", "祖父母", "13800000000", "否", ""])
    for column in "ABCDEFGHIJKL":
        sheet.column_dimensions[column].width = 18
    sheet.column_dimensions["B"].number_format = "@"
    codes = workbook.create_sheet("说明")
    codes.append([str(TEMPLATE_HELP)])
    codes.append([])
    codes.append(["类别", "code"])
    for label, code in CATEGORY_NAMES.items():
        codes.append([label, code])
    codes.append([])
    codes.append(["监护人关系", "code"])
    for label, code in RELATION_NAMES.items():
        codes.append([label, code])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# Staged uploads: a roster file between its trial run and the confirmed import, in the database
# (not a web node's temp directory) so that whichever node answers the confirm finds it.


def roster_upload_stage(*, by, file_name: str, data: bytes) -> RosterUpload:
    """Keep a roster file for its uploader until the import is confirmed, for
    ROSTER_UPLOAD_TTL_MINUTES. Expired uploads (anyone's) are deleted first."""
    require(by, Action.IMPORT)
    now = timezone.now()
    roster_uploads_delete_expired(now=now)
    return RosterUpload.objects.create(
        uploaded_by=by,
        file_name=file_name[:255],
        data=data,
        created_at=now,
        expires_at=now + datetime.timedelta(minutes=settings.ROSTER_UPLOAD_TTL_MINUTES),
    )


def roster_upload_find(*, by, token: str, for_update: bool = False) -> RosterUpload:
    """The upload `token` of `by` (another user's token finds nothing), unless it has expired."""
    require(by, Action.IMPORT)
    uploads = RosterUpload.objects.filter(token=token, uploaded_by=by)
    upload = (uploads.select_for_update() if for_update else uploads).first()
    if upload is None:
        raise ApplicationError(_("This upload was not found (already imported, or uploaded by someone else): upload the file again."))
    if upload.expires_at <= timezone.now():
        raise ApplicationError(_("The upload has expired: upload the file again."))
    return upload


@transaction.atomic
def roster_upload_import(*, by, token: str) -> tuple[ImportReport, str]:
    """The confirm step: import the staged upload `token` of `by` (all rows or none) and delete it
    once its rows are in. The row is locked, so a second confirm (a double click, another node)
    waits and then finds nothing. Answers the report and the file's name."""
    upload = roster_upload_find(by=by, token=token, for_update=True)
    report = roster_import(by=by, file=io.BytesIO(upload.data), commit=True, file_name=upload.file_name)
    if report.committed:
        upload.delete()
    return report, upload.file_name


def roster_upload_discard(*, by, token: str) -> None:
    require(by, Action.IMPORT)
    RosterUpload.objects.filter(token=token, uploaded_by=by).delete()


def roster_uploads_delete_expired(*, now: datetime.datetime | None = None) -> int:
    """Delete the uploads nobody imported in time (the beat job, and every new upload)."""
    deleted, _per_model = RosterUpload.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
