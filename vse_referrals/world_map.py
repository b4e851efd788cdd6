"""The member map: the world as an inline SVG, rendered on the server from shipped shapes.

No request ever leaves the page: the shapes are Natural Earth admin-0 countries shipped in
``vse_referrals/data/world/`` (see README.txt and NOTICE.txt there), projected and turned into
SVG path data once per process. The SVG works without JavaScript (member countries are plain
links, e.g. to a same-page filter); ``static/vse_referrals/js/directory-map.js`` adds hover
labels, the Europe / World zoom and in-page selection.

Public API
----------

``render_map(members, *, selected=None, link=default_link, labels=None, dom_id="vse-map", tiles=None)``
    Return the ``<svg>`` element as a ``SafeString``.

    ``members``
        Mapping of area code to the number of matching services. Area codes are ISO 3166-1
        alpha-2 country codes (``"FR"``, ``"MT"``, ``"XK"`` for Kosovo) and the United Kingdom's
        nations as ISO 3166-2 codes (``"GB-ENG"``, ``"GB-SCT"``, ``"GB-WLS"``, ``"GB-NIR"``).
        Codes are matched case-insensitively; counts below 1 and codes that are not on the map
        (see ``area_names()``) are ignored, so the page must still list every member in its
        accessible list.
    ``selected``
        The code of the area the page is filtered on, drawn darker and marked
        ``aria-current="true"``.
    ``link``
        Callable ``code -> href`` for areas with members; the default is a same-page filter
        link ``?country=<code>``.
    ``labels``
        Mapping ``code -> display name`` (e.g. ``dict(django_countries.countries)``); the
        fallback is the Natural Earth short name (and English names for the UK nations).
    ``dom_id``
        ``id`` of the ``<svg>``, and prefix of every other ``id`` in it: give each map on a
        page its own.
    ``tiles``
        A ``TileLayer`` to draw under the shapes, or ``None`` (the default: the map makes no
        request at all). With tiles the map switches to the Web-Mercator projection the tiles
        use (``WEB_MERCATOR``), gets the class ``vse-map--tiles`` and, instead of the ocean,
        ``<g class="vse-map__tiles" aria-hidden="true">`` of ``<image>`` elements: the world
        at zoom ``TILE_ZOOM["world"]`` and, above it, Europe at ``TILE_ZOOM["europe"]``.

    Structure, in painting order::

        <svg id role="group" aria-labelledby="<id>-title" viewBox=(the view's box)
             preserveAspectRatio="xMidYMid slice|meet" data-view="europe|world"
             data-viewbox-europe data-viewbox-world [data-selected] data-label-europe/-world/-zoom>
          <title id="<id>-title">                  name of the map
          <path class="vse-map__sphere">           the ocean (outline of the globe)
          <g class="vse-map__plain" aria-hidden>   land without members (not links), and
                                                   grey dots for small areas without members
          <g class="vse-map__members">             one <a> per shaded area with members
          <use class="vse-map__outline">           the selected shape's outline, on top
          <g class="vse-map__markers">             one <a> per marker with members

    Each member area is ``<a id="<id>-FR" class="vse-map__area vse-map__area--member"
    href=link(code) data-code="FR" data-anchor="x y" aria-label="France: 3 services">`` with
    a ``<title>`` (same text, the native tooltip) and its ``<path id="<id>-FR-shape">`` and/or
    ``<circle class="vse-map__marker">`` (after an invisible, larger ``vse-map__hit`` disc that
    makes it easy to tap); ``--selected`` and ``aria-current="true"`` mark the
    selected one, ``--marker`` the markers. Micro-states (``MICROSTATES`` and every area
    smaller than ``MARKER_BELOW`` units) are markers at the centre of their largest piece;
    the UK nations are markers at fixed points, and their services count for the United
    Kingdom too, whose shape is then a member area like any other (coloured, linked to
    ``link("GB")``, which takes in every nation). Links are in alphabetical order of their names, which
    is the keyboard order. ``data-anchor`` is where the script points its label.

``EUROPE_VIEWBOX``, ``WORLD_VIEWBOX``
    ``viewBox`` strings of the two zoom levels; both have the same 2:1 aspect ratio, so
    switching does not move the page. The map is rendered in the Europe view, or in the World
    view when the selected area lies outside Europe (the United States), so that what was
    chosen is on screen even without JavaScript. The stylesheet gives narrow screens a 3:2
    box, which the Europe view fills ("slice": the Atlantic and the Caspian are cropped) and
    the World view fits ("meet").

``NATURAL_EARTH``, ``WEB_MERCATOR``
    The two projections (``project(lon, lat) -> (x, y)`` and the two view boxes).

``TileLayer(url, attribution, attribution_url="")``, ``TileLayer.from_setting(value)``
    A tile background (``{z}/{x}/{y}`` URL template on HTTPS, with the attribution its
    provider requires). ``tile_setting_problems(value)`` lists what is wrong with a setting.

``ATTRIBUTION``
    Translatable text that pages showing the map must display next to it (Natural Earth
    attribution and the de-facto borders note).

``area_names()``
    Mapping code -> fallback name (Natural Earth's short name, English names of the UK
    nations) of every area the map can show; its keys are the codes ``members`` may use.

Projection: Natural Earth I (Šavrič, Jenny, Patterson & Hurni, 2011), a polynomial
pseudo-cylindrical world projection with the central meridian at Greenwich, which keeps Europe
in the middle with little distortion. Antarctica is left out (no member there; it would only
add height) and the map is cut at 58°S. Coordinates are rounded to 0.1 unit of a 1000 x 500
``viewBox``; rings smaller than ``MIN_RING`` units are dropped. With tiles: Web Mercator
(EPSG:3857) on a 1000 x 1000 square, the whole tile pyramid's zoom 0, so that tile (z, x, y)
is the square of side 1000 / 2**z at (x, y) times that side; its views have a 1.6:1 aspect,
which the stylesheet gives the map box.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

__all__ = [
    "ATTRIBUTION",
    "EUROPE_VIEWBOX",
    "MICROSTATES",
    "NATURAL_EARTH",
    "TILE_ZOOM",
    "UK_NATIONS",
    "WEB_MERCATOR",
    "WORLD_VIEWBOX",
    "Projection",
    "TileLayer",
    "area_names",
    "default_link",
    "render_map",
    "tile_setting_problems",
]

DATA_FILE = Path(__file__).resolve().parent / "data" / "world" / "countries-50m-simplified.geojson"

WIDTH, HEIGHT = 1000, 500

ATTRIBUTION = _(
    "Made with Natural Earth. Borders are shown as they are on the ground (de facto) "
    "and imply no position on any territorial dispute."
)

# Natural Earth I: units per radian, and where (0°, 0°) lands in the viewBox.
_SCALE = 181.0
_CX, _CY = 500.0, 287.0
# Shapes are dropped entirely when they lie south of this (only Antarctica does).
_SOUTH_LIMIT = -58.5
_EXCLUDED = frozenset({"AQ"})
# Web Mercator stops where the square ends.
_MERCATOR_MAX_LAT = 85.0511287798

# Rings whose projected bounding box is smaller than this in both directions are not drawn.
MIN_RING = 0.5
# Areas whose projected bounding box is smaller than this in both directions get a marker.
MARKER_BELOW = 3.0
# Visible at Europe scale only as a dot: always drawn as markers.
MICROSTATES = frozenset({"AD", "LI", "LU", "MC", "MT", "SM", "VA"})

# The UK is one shape; its nations (ISO 3166-2) are markers at fixed points (lon, lat).
UK_NATIONS = {
    "GB-ENG": ((-1.2, 52.6), _("England")),
    "GB-SCT": ((-4.2, 56.7), _("Scotland")),
    "GB-WLS": ((-3.8, 52.2), _("Wales")),
    "GB-NIR": ((-6.7, 54.6), _("Northern Ireland")),
}

MARKER_RADIUS = 1.6
DOT_RADIUS = 0.9
# A marker is a visible dot and, around it, an invisible disc a finger can hit (sized by the CSS).
_MARKER = (
    '<circle class="vse-map__hit" cx="{0}" cy="{1}" r="{3}"/>'
    '<circle class="vse-map__marker" cx="{0}" cy="{1}" r="{2}"/>'
)
HIT_RADIUS = 3.0
_DOT = '<circle class="vse-map__dot" cx="{}" cy="{}" r="{}"/>'


def default_link(code: str) -> str:
    """Same-page filter link for an area."""
    return f"?country={code}"


def _natural_earth(lon: float, lat: float) -> tuple[float, float]:
    """Natural Earth I projection, in viewBox units (y down)."""
    lam = math.radians(lon)
    phi = math.radians(lat)
    p2 = phi * phi
    p4 = p2 * p2
    x = lam * (0.8707 - 0.131979 * p2 + p4 * (-0.013791 + p4 * p2 * (0.003971 - 0.001529 * p2)))
    y = phi * (1.007226 + p2 * (0.015085 + p4 * (-0.044475 + 0.028874 * p2 - 0.005916 * p4)))
    return _CX + _SCALE * x, _CY - _SCALE * y


def _web_mercator(lon: float, lat: float) -> tuple[float, float]:
    """Web Mercator on a WIDTH x WIDTH square (tile zoom 0), y down."""
    phi = math.radians(max(-_MERCATOR_MAX_LAT, min(_MERCATOR_MAX_LAT, lat)))
    x = WIDTH * (lon + 180) / 360
    y = WIDTH * (0.5 - math.log(math.tan(math.pi / 4 + phi / 2)) / (2 * math.pi))
    return x, y


@dataclass(frozen=True)
class Projection:
    name: str
    project: Callable[[float, float], tuple[float, float]]
    world_viewbox: str
    # Iceland to the Caspian Sea, North Cape to Cyprus and Israel; same aspect as the world.
    europe_viewbox: str


NATURAL_EARTH = Projection("natural-earth", _natural_earth, f"0 0 {WIDTH} {HEIGHT}", "414 62 248 124")
# 82°N to 58.5°S; Europe from 70°N to 30°N: both 1.6:1.
WEB_MERCATOR = Projection("web-mercator", _web_mercator, "0 74 1000 625", "403 221 306 191.25")

WORLD_VIEWBOX = NATURAL_EARTH.world_viewbox
EUROPE_VIEWBOX = NATURAL_EARTH.europe_viewbox
_project = _natural_earth

# Tile zoom of each view: about one tile pixel per screen pixel of a phone or laptop map.
TILE_ZOOM = {"world": 2, "europe": 4}


@dataclass(frozen=True)
class TileLayer:
    """A raster tile background: the one opt-in request to another host (see conf.py)."""

    url: str  # https://tiles.example.org/{z}/{x}/{y}.png
    attribution: str  # what the provider requires next to the map, e.g. "© OpenStreetMap contributors"
    attribution_url: str = ""

    @classmethod
    def from_setting(cls, value) -> TileLayer | None:
        """The layer of a ``VSE_REFERRALS_MAP_TILES`` value (``None``: no tiles); see ``tile_setting_problems``."""
        if not value:
            return None
        problems = tile_setting_problems(value)
        if problems:
            raise ValueError("; ".join(problems))
        return cls(value["url"], value["attribution"], value.get("attribution_url", ""))

    def tile_url(self, z: int, x: int, y: int) -> str:
        return self.url.replace("{z}", str(z)).replace("{x}", str(x)).replace("{y}", str(y))


def tile_setting_problems(value) -> list[str]:
    """What is wrong with a ``VSE_REFERRALS_MAP_TILES`` value; empty when it is off or sound."""
    if not value:
        return []
    if not isinstance(value, Mapping):
        return ["must be a dict with 'url' and 'attribution'"]
    problems = []
    url = value.get("url") or ""
    if not (isinstance(url, str) and url.startswith("https://")):
        problems.append("'url' must be an https:// address (tiles over plain HTTP reveal what a visitor looks at)")
    elif not all(part in url for part in ("{z}", "{x}", "{y}")):
        problems.append("'url' must contain {z}, {x} and {y}")
    if not str(value.get("attribution") or "").strip():
        problems.append("'attribution' is required: tile providers require their credit next to the map")
    link = value.get("attribution_url") or ""
    if link and not str(link).startswith("https://"):
        problems.append("'attribution_url' must be an https:// address")
    return problems


def _tile_images(tiles: TileLayer, zoom: int, viewbox: str) -> list[SafeString]:
    """The ``<image>`` tiles of one zoom level that cover ``viewbox`` (Web-Mercator units)."""
    x0, y0, width, height = (float(n) for n in viewbox.split())
    count = 2**zoom
    side = WIDTH / count
    columns = range(max(0, math.floor(x0 / side)), min(count, math.ceil((x0 + width) / side)))
    rows = range(max(0, math.floor(y0 / side)), min(count, math.ceil((y0 + height) / side)))
    # A hair wider than the tile, so that anti-aliasing leaves no seam between neighbours.
    size = f"{side + 0.1:g}"
    return [
        format_html(
            '<image href="{}" x="{}" y="{}" width="{}" height="{}" preserveAspectRatio="none"/>',
            tiles.tile_url(zoom, tx, ty),
            f"{tx * side:g}",
            f"{ty * side:g}",
            size,
            size,
        )
        for ty in rows
        for tx in columns
    ]


def _num(tenths: int) -> str:
    """A coordinate in tenths of a unit as the shortest SVG number: 123 -> "12.3", -5 -> "-.5"."""
    sign = "-" if tenths < 0 else ""
    whole, frac = divmod(abs(tenths), 10)
    if not frac:
        return f"{sign}{whole}"
    return f"{sign}{whole or ''}.{frac}"


def _pair(a: int, b: int) -> str:
    first, second = _num(a), _num(b)
    return first + (second if second[0] == "-" else " " + second)


def _ring_path(points: list[tuple[int, int]]) -> str:
    """One closed ring: absolute move, then relative lines (implicit after the first "l")."""
    x0, y0 = points[0]
    parts = ["M", _pair(x0, y0), "l"]
    px, py = x0, y0
    for i, (x, y) in enumerate(points[1:]):
        pair = _pair(x - px, y - py)
        if i and pair[0] != "-":
            parts.append(" ")
        parts.append(pair)
        px, py = x, y
    parts.append("z")
    return "".join(parts)


@dataclass(frozen=True)
class _Area:
    code: str | None
    name: str
    d: str  # SVG path data, "" when every ring is too small to draw
    anchor: tuple[float, float]  # centre of the largest ring: the marker, and where labels point
    marker: bool  # drawn as a circle marker (too small to see or to aim at)


def _rings(geometry: dict) -> list[list[list[float]]]:
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    return [ring for polygon in geometry["coordinates"] for ring in polygon]


def _unwrap(ring: list[list[float]]) -> list[tuple[float, float]]:
    """Longitudes made continuous along the ring (a step of more than 180° crosses the antimeridian)."""
    out = [(ring[0][0], ring[0][1])]
    for lon, lat in ring[1:]:
        prev = out[-1][0]
        while lon - prev > 180:
            lon -= 360
        while lon - prev < -180:
            lon += 360
        out.append((lon, lat))
    return out


def _clip(points: list[tuple[float, float]], limit: float, keep_below: bool) -> list[tuple[float, float]]:
    """Sutherland-Hodgman clipping of a ring against the meridian ``lon = limit``."""

    def inside(p):
        return p[0] <= limit if keep_below else p[0] >= limit

    out = []
    for i, current in enumerate(points):
        previous = points[i - 1]
        if inside(current) != inside(previous):
            t = (limit - previous[0]) / (current[0] - previous[0])
            out.append((limit, previous[1] + t * (current[1] - previous[1])))
        if inside(current):
            out.append(current)
    return out


def _split_antimeridian(ring: list[list[float]]) -> list[list[tuple[float, float]]]:
    """The ring, cut into pieces that each lie within -180°..180° (Chukotka, Wrangel Island)."""
    points = _unwrap(ring)
    lons = [lon for lon, _lat in points]
    if min(lons) >= -180 and max(lons) <= 180:
        return [points]
    pieces = []
    for shift in (-360, 0, 360):
        piece = [(lon + shift, lat) for lon, lat in points]
        piece = _clip(_clip(piece, 180, keep_below=True), -180, keep_below=False)
        if len(piece) >= 3:
            pieces.append(piece)
    return pieces


def _bbox(points) -> tuple[float, float, float, float]:
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _interior_point(
    rings: list[list[tuple[float, float]]], box: tuple[float, float, float, float]
) -> tuple[float, float]:
    """A point inside the area, within ``box``: the middle of the widest stretch of land on a few
    horizontal lines across the box (even-odd over every ring, so lakes and enclaves are not land).
    The centre of the box itself can fall outside the area: Norway's is in Sweden."""
    x0, y0, x1, y1 = box
    best = (-1.0, ((x0 + x1) / 2, (y0 + y1) / 2))
    for fraction in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8):
        y = y0 + (y1 - y0) * fraction
        crossings = sorted(
            xa + (y - ya) * (xb - xa) / (yb - ya)
            for ring in rings
            for (xa, ya), (xb, yb) in zip(ring, ring[1:] + ring[:1], strict=True)
            if (ya <= y < yb) or (yb <= y < ya)
        )
        for left, right in zip(crossings[::2], crossings[1::2], strict=False):  # pairs: in, out
            if x0 <= (left + right) / 2 <= x1 and right - left > best[0]:
                best = (right - left, ((left + right) / 2, y))
    return best[1]


def _build_area(code: str | None, features: list[dict], project: Callable) -> _Area:
    paths: list[str] = []
    boxes = []
    rings = []
    for feature in features:
        for ring in (piece for raw in _rings(feature["geometry"]) for piece in _split_antimeridian(raw)):
            projected = [project(lon, lat) for lon, lat in ring]
            box = _bbox(projected)
            boxes.append(box)
            rings.append(projected)
            if box[2] - box[0] < MIN_RING and box[3] - box[1] < MIN_RING:
                continue
            points: list[tuple[int, int]] = []
            for x, y in projected:
                point = (round(x * 10), round(y * 10))
                if not points or point != points[-1]:
                    points.append(point)
            while len(points) > 1 and points[-1] == points[0]:
                points.pop()
            if len(points) >= 3:
                paths.append(_ring_path(points))
    # The name of the largest feature (Australia rather than Ashmore and Cartier Is.).
    name = max(features, key=lambda f: sum(len(ring) for ring in _rings(f["geometry"])))["properties"]["name"]
    x0, y0, x1, y1 = _bbox([(b[0], b[1]) for b in boxes] + [(b[2], b[3]) for b in boxes])
    tiny = x1 - x0 < MARKER_BELOW and y1 - y0 < MARKER_BELOW
    marker = code is not None and (code in MICROSTATES or tiny or not paths)
    # On the main island or mainland rather than in the middle of an archipelago or of overseas parts.
    main = max(boxes, key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
    x, y = _interior_point(rings, main)
    anchor = (round(x, 1), round(y, 1))
    return _Area(code=code, name=name, d="".join(paths), anchor=anchor, marker=marker)


@functools.cache
def _features() -> tuple[dict[str, list[dict]], list[dict]]:
    """The shipped features to draw: by ISO code, and those without a code."""
    with DATA_FILE.open(encoding="utf-8") as fh:
        collection = json.load(fh)
    by_code: dict[str, list[dict]] = {}
    uncoded: list[dict] = []
    for feature in collection["features"]:
        code = feature["properties"].get("iso_a2")
        if code in _EXCLUDED or feature["geometry"] is None:
            continue
        if max(lat for _lon, lat in _rings(feature["geometry"])[0]) < _SOUTH_LIMIT:
            continue
        if code:
            by_code.setdefault(code.upper(), []).append(feature)
        else:
            uncoded.append(feature)
    return by_code, uncoded


@functools.cache
def _areas(projection: Projection = NATURAL_EARTH) -> tuple[_Area, ...]:
    """Every area of the map, projected, in a stable order (by code; unnamed areas last)."""
    by_code, uncoded = _features()
    areas = [_build_area(code, features, projection.project) for code, features in sorted(by_code.items())]
    areas += [_build_area(None, [feature], projection.project) for feature in uncoded]
    return tuple(areas)


@functools.cache
def _sphere_path() -> str:
    """Outline of the globe in Natural Earth I between the map's latitude limits (the ocean)."""
    east = [_project(180, lat) for lat in range(90, -59, -2)]
    west = [_project(-180, lat) for lat in range(-58, 91, 2)]
    points = [(round(x * 10), round(y * 10)) for x, y in east + west]
    return _ring_path(points)


def area_names() -> dict[str, str]:
    """Code -> fallback display name of every area the map can show."""
    names = {area.code: area.name for area in _areas() if area.code}
    names.update({code: str(name) for code, (_point, name) in UK_NATIONS.items()})
    return names


def _accessible_label(name: str, count: int) -> str:
    return ngettext("%(name)s: %(count)d service", "%(name)s: %(count)d services", count) % {
        "name": name,
        "count": count,
    }


def _anchor_of(code: str, areas: tuple[_Area, ...], projection: Projection) -> tuple[float, float] | None:
    if code in UK_NATIONS:
        return projection.project(*UK_NATIONS[code][0])
    return next((area.anchor for area in areas if area.code == code), None)


def _in_view(point: tuple[float, float] | None, viewbox: str) -> bool:
    """Whether a point is inside a view (an unknown point counts as inside: nothing to show)."""
    if point is None:
        return True
    x0, y0, width, height = (float(n) for n in viewbox.split())
    return x0 <= point[0] <= x0 + width and y0 <= point[1] <= y0 + height


def render_map(
    members: Mapping[str, int],
    *,
    selected: str | None = None,
    link: Callable[[str], str] = default_link,
    labels: Mapping[str, str] | None = None,
    dom_id: str = "vse-map",
    tiles: TileLayer | None = None,
) -> SafeString:
    """Render the member map as an inline ``<svg>``; see the module docstring."""
    projection = WEB_MERCATOR if tiles else NATURAL_EARTH
    counts: dict[str, int] = {}
    for code, count in members.items():
        if count and count > 0:
            counts[str(code).upper()] = counts.get(str(code).upper(), 0) + int(count)
    # The UK nations' services are the United Kingdom's too: its shape is coloured and linked like
    # any member country (to all of them), and the nations' markers sit on it.
    uk_total = sum(counts.get(code, 0) for code in UK_NATIONS)
    if uk_total:
        counts["GB"] = counts.get("GB", 0) + uk_total
    selected = selected.upper() if selected else None
    labels = labels or {}

    def name_of(code: str, fallback: str) -> str:
        return str(labels.get(code) or fallback)

    def member_link(
        code: str, fallback_name: str, anchor: tuple[float, float], body: SafeString, extra_class: str = ""
    ) -> tuple[str, SafeString]:
        name = name_of(code, fallback_name)
        label = _accessible_label(name, counts[code])
        is_selected = code == selected
        classes = "vse-map__area vse-map__area--member" + extra_class
        if is_selected:
            classes += " vse-map__area--selected"
        html = format_html(
            '<a id="{}-{}" class="{}" href="{}" data-code="{}" data-anchor="{} {}" aria-label="{}"{}>'
            "<title>{}</title>{}</a>",
            dom_id,
            code,
            classes,
            link(code),
            code,
            *anchor,
            label,
            mark_safe(' aria-current="true"') if is_selected else "",  # nosec B308 B703  # a constant
            label,
            body,
        )
        return name.casefold(), html

    plain: list[SafeString] = []  # land without members, not links
    dots: list[SafeString] = []  # markers of micro-states without members
    shaded: list[tuple[str, SafeString]] = []  # (sort key, link) of shapes with members
    markers: list[tuple[str, SafeString]] = []  # (sort key, link) of markers with members

    areas = _areas(projection)
    for area in areas:
        code = area.code
        is_member = code is not None and code in counts
        if not is_member:
            if area.d:
                classes = "vse-map__land"
                if code and code == selected:
                    classes += " vse-map__land--selected"
                # Path data projected from the bundled geometry, no user text
                plain.append(format_html('<path class="{}" d="{}"/>', classes, mark_safe(area.d)))  # nosec B308 B703
            if area.marker:
                dots.append(format_html(_DOT, *area.anchor, DOT_RADIUS))
            continue
        shape = (
            # Path data projected from the bundled geometry: no user text.
            format_html('<path id="{}-{}-shape" class="vse-map__shape" d="{}"/>', dom_id, code, mark_safe(area.d))  # nosec B308 B703
            if area.d
            else ""
        )
        if not area.marker:
            shaded.append(member_link(code, area.name, area.anchor, shape))
        else:
            circle = format_html(_MARKER, *area.anchor, MARKER_RADIUS, HIT_RADIUS)
            body = format_html("{}{}", shape, circle)
            markers.append(member_link(code, area.name, area.anchor, body, " vse-map__area--marker"))

    for code, (point, fallback) in UK_NATIONS.items():
        if code in counts:
            x, y = projection.project(*point)
            anchor = (round(x, 1), round(y, 1))
            circle = format_html(_MARKER, *anchor, MARKER_RADIUS, HIT_RADIUS)
            markers.append(member_link(code, str(fallback), anchor, circle, " vse-map__area--marker"))

    # The selected shape's outline, drawn again above its neighbours (which would hide half of it).
    outline = ""
    if selected in counts and any(area.code == selected and area.d and not area.marker for area in areas):
        outline = format_html(
            '<use class="vse-map__outline" href="#{}-{}-shape" aria-hidden="true"/>', dom_id, selected
        )

    if tiles:
        images = [
            image
            for view in ("world", "europe")
            for image in _tile_images(tiles, TILE_ZOOM[view], getattr(projection, f"{view}_viewbox"))
        ]
        background = format_html('<g class="vse-map__tiles" aria-hidden="true">{}</g>', mark_safe("".join(images)))  # nosec B308 B703  # format_html output
    else:
        background = format_html('<path class="vse-map__sphere" d="{}" aria-hidden="true"/>', mark_safe(_sphere_path()))  # nosec B308 B703  # computed path

    view = (
        "world"
        if selected and not _in_view(_anchor_of(selected, areas, projection), projection.europe_viewbox)
        else "europe"
    )
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" id="{id}" class="vse-map{tiles_class}" viewBox="{viewbox}"'
        ' preserveAspectRatio="{aspect}" role="group" aria-labelledby="{id}-title"'
        ' data-view="{view}" data-viewbox-europe="{europe}" data-viewbox-world="{world}"{selected}'
        ' data-label-europe="{label_europe}" data-label-world="{label_world}" data-label-zoom="{label_zoom}">'
        '<title id="{id}-title">{title}</title>'
        "{background}"
        '<g class="vse-map__plain" aria-hidden="true">{plain}{dots}</g>'
        '<g class="vse-map__members">{shaded}</g>'
        "{outline}"
        '<g class="vse-map__markers">{markers}</g>'
        "</svg>",
        id=dom_id,
        tiles_class=" vse-map--tiles" if tiles else "",
        viewbox=getattr(projection, f"{view}_viewbox"),
        # Europe fills the box (narrow screens crop its sides); the world always fits in it.
        aspect="xMidYMid slice" if view == "europe" else "xMidYMid meet",
        view=view,
        europe=projection.europe_viewbox,
        world=projection.world_viewbox,
        selected=format_html(' data-selected="{}"', selected) if selected else "",
        label_europe=gettext("Europe"),
        label_world=gettext("World"),
        label_zoom=gettext("Map view"),
        title=gettext("Countries with member victim support services"),
        background=background,
        plain=mark_safe("".join(plain)),  # nosec B308 B703  # joined format_html output
        dots=mark_safe("".join(dots)),  # nosec B308 B703  # joined format_html output
        shaded=mark_safe("".join(html for _key, html in sorted(shaded))),  # nosec B308 B703  # joined format_html output
        outline=outline,
        markers=mark_safe("".join(html for _key, html in sorted(markers))),  # nosec B308 B703  # joined format_html output
    )
