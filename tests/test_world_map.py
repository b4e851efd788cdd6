"""The member map SVG (vse_referrals.world_map): complete, accessible, escaped, self-contained."""

import json
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.utils import translation

from vse_referrals import world_map

SVG_NS = "http://www.w3.org/2000/svg"
NS = {"svg": SVG_NS}
PACKAGE = Path(world_map.__file__).resolve().parent
STATIC = PACKAGE / "static" / "vse_referrals"

MEMBERS = {"FR": 3, "DE": 1, "SE": 2, "MT": 1, "GB-SCT": 2, "US": 1, "PT": 4}

# The map is inlined in the directory page, which victims may open on a slow phone
# connection: about 85 KB for a typical network (27 KB gzipped), about 130 KB with every
# area a member. 200 KB leaves room for labels and hrefs longer than the defaults, and
# still fails loudly if the shapes get more detailed or the simplification is lost.
SIZE_BUDGET = 200_000


def render(members=MEMBERS, **kwargs):
    with translation.override("en"):
        return str(world_map.render_map(members, **kwargs))


def parse(svg):
    return ET.fromstring(svg)


def links(root):
    return {a.get("data-code"): a for a in root.iter(f"{{{SVG_NS}}}a")}


def geojson_codes():
    data = json.loads(world_map.DATA_FILE.read_text(encoding="utf-8"))
    return {f["properties"]["iso_a2"] for f in data["features"]} - {None}


def test_every_country_of_the_data_is_on_the_map():
    expected = geojson_codes() - {"AQ"}  # Antarctica: south of the map's edge, left out on purpose
    assert expected <= set(world_map.area_names())
    assert {"FR", "MT", "XK", "GB", "GB-ENG", "GB-SCT", "GB-WLS", "GB-NIR"} <= set(world_map.area_names())

    # With every area a member, every one is a link (so each was drawn, as a shape or a marker).
    everything = {code: 1 for code in world_map.area_names()}
    root = parse(render(everything))
    assert set(links(root)) == set(everything)
    for code, a in links(root).items():
        assert a.find("svg:path", NS) is not None or a.find("svg:circle", NS) is not None, code


def test_features_without_code_are_drawn_but_never_linked():
    root = parse(render({code: 1 for code in world_map.area_names()}))
    plain = root.find("svg:g[@class='vse-map__plain']", NS)
    # Somaliland, N. Cyprus and Siachen Glacier have no iso_a2 but are still land on the map.
    assert len(plain.findall("svg:path", NS)) >= 3
    assert None not in links(root)


def test_members_are_links_with_href_and_accessible_name():
    root = parse(render(MEMBERS, labels={"FR": "France", "DE": "Germany"}))
    found = links(root)
    assert set(found) == set(MEMBERS) | {"GB"}  # the United Kingdom of its nations

    france = found["FR"]
    assert france.get("href") == "?country=FR"
    assert france.get("aria-label") == "France: 3 services"
    assert france.find("svg:title", NS).text == "France: 3 services"
    assert "vse-map__area--member" in france.get("class")
    assert france.find("svg:path", NS).get("d").startswith("M")

    assert found["DE"].get("aria-label") == "Germany: 1 service"
    # Without a label, the Natural Earth name; the UK nations have their own names.
    assert found["SE"].get("aria-label") == "Sweden: 2 services"
    assert found["GB-SCT"].get("aria-label") == "Scotland: 2 services"


def test_non_members_are_hidden_plain_shapes():
    svg = render({"FR": 1})
    root = parse(svg)
    assert set(links(root)) == {"FR"}
    plain = root.find("svg:g[@class='vse-map__plain']", NS)
    assert plain.get("aria-hidden") == "true"
    assert len(plain.findall("svg:path", NS)) > 150
    assert 'data-code="DE"' not in svg and "Germany" not in svg


def test_custom_link_and_ignored_codes():
    root = parse(render({"fr": 2, "ZZ": 5, "DE": 0}, link=lambda code: f"/directory/{code.lower()}/"))
    found = links(root)
    assert set(found) == {"FR"}  # lower case accepted, unknown code and zero count ignored
    assert found["FR"].get("href") == "/directory/fr/"


def test_selected_area_is_marked():
    root = parse(render(MEMBERS, selected="fr"))
    found = links(root)
    assert "vse-map__area--selected" in found["FR"].get("class")
    assert found["FR"].get("aria-current") == "true"
    assert root.get("data-selected") == "FR"
    others = [code for code, a in found.items() if "vse-map__area--selected" in a.get("class")]
    assert others == ["FR"]
    assert all(a.get("aria-current") is None for code, a in found.items() if code != "FR")
    # Its outline is drawn again above the neighbours.
    outline = root.find("svg:use[@class='vse-map__outline']", NS)
    assert outline.get("href") == "#vse-map-FR-shape"
    assert root.find(".//svg:path[@id='vse-map-FR-shape']", NS) is not None


def test_microstates_and_uk_nations_are_markers():
    members = {"MT": 1, "AD": 2, "LI": 1, "MC": 1, "SM": 1, "VA": 1, "LU": 1, "BB": 1, "GB-SCT": 1, "GB-NIR": 1}
    root = parse(render(members, selected="MT"))
    found = links(root)
    assert set(found) == set(members) | {"GB"}
    del found["GB"]  # the United Kingdom of its nations: a shape, not a marker
    markers = root.find("svg:g[@class='vse-map__markers']", NS)
    for code, a in found.items():
        assert "vse-map__area--marker" in a.get("class"), code
        assert a in list(markers), code
        circle = a.find("svg:circle", NS)
        assert circle is not None and float(circle.get("r")) > 0, code
    # Barbados is not listed as a micro-state: it is a marker because its shape is tiny.
    assert "BB" not in world_map.MICROSTATES
    # Scotland is north of Northern Ireland and east of it.
    scotland = found["GB-SCT"].find("svg:circle", NS)
    ireland = found["GB-NIR"].find("svg:circle", NS)
    assert float(scotland.get("cy")) < float(ireland.get("cy"))
    assert float(ireland.get("cx")) < float(scotland.get("cx"))
    assert "vse-map__area--selected" in found["MT"].get("class")


def test_uk_nations_colour_the_united_kingdom_like_any_member_country():
    root = parse(render({"GB-ENG": 2, "GB-SCT": 1, "FR": 1}))
    found = links(root)
    assert set(found) == {"GB", "GB-ENG", "GB-SCT", "FR"}
    # The UK is a member shape as France is (same group, same class, same kind of link)...
    shaded = root.find("svg:g[@class='vse-map__members']", NS)
    assert found["GB"] in list(shaded) and found["FR"] in list(shaded)
    assert found["GB"].get("class") == found["FR"].get("class") == "vse-map__area vse-map__area--member"
    assert found["GB"].get("href") == "?country=GB"
    # ...counting the services of its nations, whose markers stay links of their own above it.
    assert found["GB"].get("aria-label") == "United Kingdom: 3 services"
    assert all("vse-map__area--marker" in found[code].get("class") for code in ("GB-ENG", "GB-SCT"))
    # No part of the UK is left as plain, uncoloured land.
    plain_shapes = len(root.findall("svg:g[@class='vse-map__plain']/svg:path", NS))
    assert plain_shapes == len(parse(render({"FR": 1})).findall("svg:g[@class='vse-map__plain']/svg:path", NS)) - 1
    # UK-wide members and nations add up.
    assert links(parse(render({"GB": 1, "GB-WLS": 1})))["GB"].get("aria-label") == "United Kingdom: 2 services"


def test_non_member_microstates_are_plain_dots():
    root = parse(render({}))
    assert not links(root)
    dots = root.findall("svg:g[@class='vse-map__plain']/svg:circle[@class='vse-map__dot']", NS)
    assert len(dots) >= len(world_map.MICROSTATES)


def test_every_value_is_escaped():
    evil = '<script>alert("x")</script>'
    svg = render(
        {"FR": 1, "MT": 1},
        labels={"FR": evil, "MT": "A & B"},
        link=lambda code: f'"><script>alert(1)</script>{code}',
        dom_id='m"><x',
    )
    assert "<script" not in svg
    assert "&lt;script&gt;" in svg
    root = parse(svg)
    found = links(root)
    assert found["FR"].get("aria-label") == f"{evil}: 1 service"
    assert found["MT"].find("svg:title", NS).text == "A & B: 1 service"
    assert found["FR"].get("href") == '"><script>alert(1)</script>FR'
    assert root.get("id") == 'm"><x'


def test_svg_structure_is_accessible_and_well_formed():
    svg = render(MEMBERS, dom_id="directory-map")
    root = parse(svg)
    assert root.tag == f"{{{SVG_NS}}}svg"
    assert root.get("role") == "group"
    title = root.find("svg:title", NS)
    assert root.get("aria-labelledby") == title.get("id") == "directory-map-title"
    assert title.text
    assert root.get("viewBox") == world_map.EUROPE_VIEWBOX
    assert root.get("data-viewbox-europe") == world_map.EUROPE_VIEWBOX
    assert root.get("data-viewbox-world") == world_map.WORLD_VIEWBOX
    assert root.get("data-label-europe") == "Europe" and root.get("data-label-world") == "World"
    ids = [el.get("id") for el in root.iter() if el.get("id")]
    assert len(ids) == len(set(ids))
    assert all(i.startswith("directory-map") for i in ids)


def test_viewboxes_share_one_aspect_ratio():
    europe = [float(n) for n in world_map.EUROPE_VIEWBOX.split()]
    world = [float(n) for n in world_map.WORLD_VIEWBOX.split()]
    assert europe[2] / europe[3] == world[2] / world[3]
    assert world[0] <= europe[0] and europe[0] + europe[2] <= world[0] + world[2]
    assert world[1] <= europe[1] and europe[1] + europe[3] <= world[1] + world[3]


def test_shapes_fit_the_world_viewbox():
    x0, y0, width, height = (float(n) for n in world_map.WORLD_VIEWBOX.split())
    for area in world_map._areas():
        x, y = area.anchor
        assert x0 <= x <= x0 + width and y0 <= y <= y0 + height, area.name
    # Europe is where it is expected: Paris inside the Europe view.
    ex, ey, ew, eh = (float(n) for n in world_map.EUROPE_VIEWBOX.split())
    px, py = world_map._project(2.35, 48.86)
    assert ex < px < ex + ew and ey < py < ey + eh


def test_no_url_to_another_host():
    svg = render({code: 1 for code in world_map.area_names()})
    urls = set(re.findall(r"[a-z][a-z0-9+.-]*://[^\s\"'<>)]*", svg, flags=re.I))
    assert urls == {SVG_NS}
    assert "//" not in svg.replace(SVG_NS, "")  # nor protocol-relative URLs


def test_css_and_js_have_no_absolute_url():
    for path in (STATIC / "css" / "directory-map.css", STATIC / "js" / "directory-map.js"):
        text = path.read_text(encoding="utf-8")
        code = re.sub(r"/\*.*?\*/", "", text, flags=re.S)  # comments
        code = re.sub(r"^\s*//.*$", "", code, flags=re.M)
        assert not re.search(r"[a-z][a-z0-9+.-]*:\s*//", code, flags=re.I), path
        assert not re.search(r"""url\(\s*['"]?(?!#)""", code), path  # no url(...) at all
        assert "@import" not in code and "fetch(" not in code and "XMLHttpRequest" not in code, path


def test_size_budget():
    assert len(render(MEMBERS).encode()) < SIZE_BUDGET
    everything = {code: 12 for code in world_map.area_names()}
    assert len(render(everything, selected="FR").encode()) < SIZE_BUDGET


def test_attribution_is_translatable_text():
    with translation.override("en"):
        text = str(world_map.ATTRIBUTION)
    assert "Made with Natural Earth" in text
    assert "de facto" in text


def test_data_files_are_shipped_with_notice():
    folder = PACKAGE / "data" / "world"
    for name in ("countries-50m-simplified.geojson", "README.txt", "NOTICE.txt", "PROVENANCE.txt"):
        assert (folder / name).is_file(), name
    assert "Natural Earth" in (folder / "NOTICE.txt").read_text(encoding="utf-8")


# Tile background (off by default) ------------------------------------------------------------

TILES = world_map.TileLayer("https://tiles.example.org/{z}/{x}/{y}.png", "© Example tile makers")


def tile_boxes(root, zoom):
    """(z, x, y) -> (x0, y0, x1, y1) of every tile image of one zoom level."""
    boxes = {}
    for image in root.iter(f"{{{SVG_NS}}}image"):
        z, x, y = (int(n) for n in re.search(r"/(\d+)/(\d+)/(\d+)\.png$", image.get("href")).groups())
        if z == zoom:
            x0, y0 = float(image.get("x")), float(image.get("y"))
            boxes[(z, x, y)] = (x0, y0, x0 + float(image.get("width")), y0 + float(image.get("height")))
    return boxes


def test_no_tiles_by_default():
    svg = render()
    assert "<image" not in svg and "vse-map--tiles" not in svg
    assert 'class="vse-map__sphere"' in svg


def test_tiles_switch_to_web_mercator_and_keep_every_link():
    plain, tiled = parse(render()), parse(render(tiles=TILES))
    assert "vse-map--tiles" in tiled.get("class")
    assert tiled.get("viewBox") == tiled.get("data-viewbox-europe") == world_map.WEB_MERCATOR.europe_viewbox
    assert tiled.get("data-viewbox-world") == world_map.WEB_MERCATOR.world_viewbox
    assert tiled.find(".//svg:path[@class='vse-map__sphere']", NS) is None
    assert tiled.find("svg:g[@class='vse-map__tiles']", NS).get("aria-hidden") == "true"
    assert {code: a.get("aria-label") for code, a in links(plain).items()} == {
        code: a.get("aria-label") for code, a in links(tiled).items()
    }
    # The shapes moved to the tiles' projection: France's anchor is a Web-Mercator point.
    fx, fy = (float(n) for n in links(tiled)["FR"].get("data-anchor").split())
    assert abs(fx - world_map.WEB_MERCATOR.project(2.5, 46.5)[0]) < 15
    assert abs(fy - world_map.WEB_MERCATOR.project(2.5, 46.5)[1]) < 15


def test_web_mercator_views_share_one_aspect_and_fit_the_square():
    europe = [float(n) for n in world_map.WEB_MERCATOR.europe_viewbox.split()]
    world = [float(n) for n in world_map.WEB_MERCATOR.world_viewbox.split()]
    assert europe[2] / europe[3] == world[2] / world[3] == 1.6  # the stylesheet's 8 / 5 box
    assert 0 <= world[0] <= europe[0] and europe[0] + europe[2] <= world[0] + world[2] <= 1000
    assert 0 <= world[1] <= europe[1] and europe[1] + europe[3] <= world[1] + world[3] <= 1000
    for lon, lat in ((-21.9, 64.1), (33.4, 35.2), (14.5, 35.9), (25.8, 70.0)):  # Reykjavík, Cyprus, Malta, north Norway
        x, y = world_map.WEB_MERCATOR.project(lon, lat)
        assert europe[0] < x < europe[0] + europe[2] and europe[1] < y < europe[1] + europe[3], (lon, lat)


def test_tiles_are_where_slippy_map_tiles_are():
    # Tile numbers of Paris by the OpenStreetMap formula, independent of the map's code.
    lon, lat, zoom = 2.35, 48.86, world_map.TILE_ZOOM["europe"]
    n = 2**zoom
    tx = int((lon + 180) / 360 * n)
    ty = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    x0, y0, x1, y1 = tile_boxes(parse(render(tiles=TILES)), zoom)[(zoom, tx, ty)]
    px, py = world_map.WEB_MERCATOR.project(lon, lat)
    assert x0 <= px <= x1 and y0 <= py <= y1


def test_tiles_cover_both_views_and_nothing_else():
    root = parse(render(tiles=TILES))
    for view in ("world", "europe"):
        zoom = world_map.TILE_ZOOM[view]
        boxes = tile_boxes(root, zoom)
        vx, vy, vw, vh = (float(n) for n in getattr(world_map.WEB_MERCATOR, f"{view}_viewbox").split())
        # Every tile touches the view, and every point of the view is on a tile.
        assert all(x0 < vx + vw and x1 > vx and y0 < vy + vh and y1 > vy for x0, y0, x1, y1 in boxes.values())
        for i in range(11):
            for j in range(11):
                px, py = vx + vw * i / 10, vy + vh * j / 10
                assert any(x0 <= px <= x1 and y0 <= py <= y1 for x0, y0, x1, y1 in boxes.values()), (view, px, py)
    assert len(list(root.iter(f"{{{SVG_NS}}}image"))) <= 40  # what each visitor's browser fetches


def test_tiles_are_the_only_other_host():
    svg = render({code: 1 for code in world_map.area_names()}, tiles=TILES)
    urls = set(re.findall(r"[a-z][a-z0-9+.-]*://[^\s\"'<>)/]*", svg, flags=re.I))
    assert urls == {"http://www.w3.org", "https://tiles.example.org"}


@pytest.mark.parametrize(
    "value, problem",
    [
        ("https://tiles.example.org/{z}/{x}/{y}.png", "must be a dict"),
        ({"url": "http://tiles.example.org/{z}/{x}/{y}.png", "attribution": "x"}, "https://"),
        ({"url": "//tiles.example.org/{z}/{x}/{y}.png", "attribution": "x"}, "https://"),
        ({"url": "https://tiles.example.org/{z}/{x}.png", "attribution": "x"}, "{z}, {x} and {y}"),
        ({"url": "https://tiles.example.org/{z}/{x}/{y}.png"}, "'attribution' is required"),
        ({"url": "https://tiles.example.org/{z}/{x}/{y}.png", "attribution": "  "}, "'attribution' is required"),
        (
            {"url": "https://t.example.org/{z}/{x}/{y}.png", "attribution": "x", "attribution_url": "javascript:x"},
            "'attribution_url'",
        ),
    ],
)
def test_bad_tile_settings_are_explained(value, problem):
    problems = world_map.tile_setting_problems(value)
    assert any(problem in text for text in problems), problems
    with pytest.raises(ValueError):
        world_map.TileLayer.from_setting(value)


def test_sound_or_absent_tile_settings():
    value = {"url": TILES.url, "attribution": TILES.attribution, "attribution_url": "https://tiles.example.org/c"}
    assert world_map.tile_setting_problems(value) == []
    assert world_map.TileLayer.from_setting(value) == world_map.TileLayer(
        TILES.url, TILES.attribution, "https://tiles.example.org/c"
    )
    assert world_map.TileLayer.from_setting(None) is None and world_map.tile_setting_problems(None) == []


@pytest.mark.parametrize(
    "selected, view", [(None, "europe"), ("FR", "europe"), ("GB-SCT", "europe"), ("MT", "europe"), ("US", "world")]
)
def test_the_map_opens_where_the_selected_area_is(selected, view):
    for tiles in (None, TILES):
        root = parse(render(selected=selected, tiles=tiles))
        assert root.get("data-view") == view
        assert root.get("viewBox") == root.get(f"data-viewbox-{view}")
        assert root.get("preserveAspectRatio") == ("xMidYMid slice" if view == "europe" else "xMidYMid meet")


def inside(point, rings):
    """Even-odd ray casting over every ring of an area."""
    x, y = point
    crossings = 0
    for ring in rings:
        for (xa, ya), (xb, yb) in zip(ring, ring[1:] + ring[:1], strict=True):
            if (ya > y) != (yb > y) and x < xa + (y - ya) * (xb - xa) / (yb - ya):
                crossings += 1
    return crossings % 2 == 1


def test_labels_point_inside_their_country():
    by_code, _uncoded = world_map._features()
    project = world_map.NATURAL_EARTH.project
    outside, checked = [], set()
    for area in world_map._areas():
        if area.code is None or area.marker:
            continue
        checked.add(area.code)
        rings = [
            [project(lon, lat) for lon, lat in piece]
            for feature in by_code[area.code]
            for raw in world_map._rings(feature["geometry"])
            for piece in world_map._split_antimeridian(raw)
        ]
        if not inside(area.anchor, rings):
            outside.append(area.code)
    assert outside == []
    # Among them those whose bounding box centre is not on their land (Norway's is in Sweden).
    assert {"NO", "SE", "HR", "CL", "IT", "ZA"} <= checked
