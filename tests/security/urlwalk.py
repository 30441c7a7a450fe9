"""Every URL of the project, generated from the URL resolver (so new endpoints are walked
without anyone listing them), with path parameters filled with one record key."""

from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.regex_helper import normalize

# Parameters that do not name a record: filled with a plain valid value.
PLAIN_PARAMS = {
    "month": "2024-06",
    "year": "2024",
    "date": "2024-06-01",
    "app_label": "cases",
    "url": "nothing-here/",
    "kind": "routine",
    "category": "left_behind",
    "fmt": "csv",
    "token": "x",
    "uidb64": "x",
}

# Endpoints that take the region in the query string rather than in the path (a county, city or
# province report): walked with the other region's code, so they name a record (404 outside one's
# scope); with path parameters of their own that are not records.
REGION_QUERY: dict[str, tuple[str, dict[str, str]]] = {
    "/api/budget/projection/": ("region=%(region)s&year=2027", {}),
    "/benefits/budget/": ("region=%(region)s&year=2027", {}),
    "/benefits/budget/export/%(table)s.xlsx": ("region=%(region)s&year=2027", {"table": "projection"}),
}


@dataclass(frozen=True)
class Endpoint:
    template: str  # "/api/children/%(pk)s/"
    params: tuple[str, ...]
    name: str
    callback: object

    @property
    def is_api(self) -> bool:
        return self.template.startswith("/api/")

    @property
    def is_admin(self) -> bool:
        return self.template.startswith("/admin/")

    @property
    def names_a_record(self) -> bool:
        return self.template in REGION_QUERY or any(p not in PLAIN_PARAMS for p in self.params)

    def url(self, *, pk: int, region_code: str) -> str:
        values = {}
        query, fixed = REGION_QUERY.get(self.template, ("", {}))
        for p in self.params:
            if p in fixed:
                values[p] = fixed[p]
            elif p in PLAIN_PARAMS:
                values[p] = PLAIN_PARAMS[p]
            elif "code" in p or p == "region":
                values[p] = region_code
            else:
                values[p] = str(pk)
        url = self.template % values
        return f"{url}?{query % {'region': region_code}}" if query else url

    def __str__(self) -> str:
        return self.template


def _walk(patterns, chain=()):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, (*chain, p))
        elif isinstance(p, URLPattern):
            yield (*chain, p)


def all_endpoints() -> list[Endpoint]:
    seen: set[str] = set()
    out = []
    for chain in _walk(get_resolver().url_patterns):
        template, params = "/", []
        ok = True
        for part in chain:
            possibilities = [(f, ps) for f, ps in normalize(part.pattern.regex.pattern) if "format" not in ps]
            if not possibilities:
                ok = False  # DRF's ".json" format-suffix twin of a route walked anyway
                break
            fmt, ps = possibilities[0]
            template += fmt
            params += ps
        if not ok or template in seen:
            continue
        seen.add(template)
        out.append(
            Endpoint(template=template, params=tuple(params), name=chain[-1].name or "", callback=chain[-1].callback)
        )
    return out
