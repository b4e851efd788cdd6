"""The one place where browser tests check pages with axe-core and photograph them for the README.

`check_page(page, screenshot=None)` runs axe-core (pinned in package-lock.json, installed by
`make test` with `npm ci`) on the page as it is, at a desktop and at a phone width, and fails on
any critical or serious violation, and on any moderate one that ALLOWED_MODERATE below does not
explain. With a name, it also photographs the page at each width, as <name>-<width>.png in the
folder VSE_SCREENSHOTS names (`make screenshots` sets it to docs/screenshots, the README's), or
in a temporary folder: dates and QR codes differ on each run, so an ordinary `make test` must not
rewrite the committed pictures.
"""

import os
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(os.environ.get("VSE_SCREENSHOTS") or Path(tempfile.gettempdir()) / "vse-screenshots")

WIDTHS = (1280, 360)
HEIGHTS = {1280: 800, 360: 780}
FAILING_IMPACTS = ("critical", "serious", "moderate")

# Moderate violations in markup that is not ours to change: rule id -> (a CSS selector matching
# every element axe may name for it, why it stays). Any other element, rule or impact fails.
ALLOWED_MODERATE = {
    # Wagtail's admin (wagtailadmin/home.html and the sidebar) has two unnamed search landmarks
    # on the dashboard of a user who may explore pages: the sidebar's page search and the
    # dashboard's own. Both are Wagtail's markup, with neither a block nor a setting to name
    # them. axe-core reports it on the example site's dashboard (as `admin` or `editor`); with
    # this suite's test data it does not (the same two forms are there), so it is allowed, not required.
    "landmark-unique": (
        'form[role="search"][action$="/pages/search/"], .w-dashboard form[role="search"]',
        "Wagtail's two unnamed page-search landmarks on the dashboard",
    ),
}


# Colours are measured as shown: let the page's finite animations (a message fading in) end first.
SETTLE = """async () => {
  const finite = document.getAnimations().filter((animation) => animation.effect?.getTiming().iterations !== Infinity);
  await Promise.all(finite.map((animation) => animation.finished.catch(() => null)));
}"""


def check_page(page, screenshot=None):
    """Assert that `page` passes axe-core at every width in WIDTHS; photograph it if named.

    The page is left at the first width again."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": HEIGHTS[width]})
        assert_accessible(page)
        if screenshot:
            save_screenshot(page, f"{screenshot}-{width}")
    page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHTS[WIDTHS[0]]})


def assert_accessible(page):
    """Fail with a readable list of what axe-core finds in the whole document of `page`."""
    problems = [
        violation
        for violation in run_axe(page)
        if violation["impact"] in FAILING_IMPACTS and not _allowed(page, violation)
    ]
    width = page.viewport_size["width"]
    assert not problems, f"axe-core at {width} px on {page.url}:\n" + "\n".join(map(_describe, problems))


def run_axe(page):
    """axe-core's violations on `page` (its default rules: WCAG 2.x A and AA, and best practices)."""
    # Evaluated through the DevTools protocol, the script is not subject to the page's
    # Content-Security-Policy (an injected <script> would be refused by `script-src 'self'`).
    page.evaluate(SETTLE)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SCRIPT.read_text(encoding="utf-8") + "\n;undefined")
    return page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")


def _allowed(page, violation):
    if violation["impact"] != "moderate" or violation["id"] not in ALLOWED_MODERATE:
        return False
    selector, _why = ALLOWED_MODERATE[violation["id"]]
    targets = [node["target"][0] for node in violation["nodes"] if len(node["target"]) == 1]
    if len(targets) != len(violation["nodes"]):
        return False  # inside a frame or a shadow root: not one of the elements explained
    return page.evaluate(
        "([targets, selector]) => targets.every((target) => document.querySelector(target).matches(selector))",
        [targets, selector],
    )


def _describe(violation):
    where = "; ".join(
        f"{' '.join(map(str, node['target']))} {node['html'][:120]} ({' '.join(node['failureSummary'].split())[:300]})"
        for node in violation["nodes"][:5]
    )
    return f"- {violation['impact']} {violation['id']} ({violation['help']}), {len(violation['nodes'])}x: {where}"


def save_screenshot(page, name):
    """The viewport as <name>.png in SCREENSHOTS, in 256 colours to keep the repository small."""
    from PIL import Image

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    image = Image.open(BytesIO(page.screenshot(animations="disabled", caret="hide")))
    palette = image.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE)
    palette.save(SCREENSHOTS / f"{name}.png", optimize=True)
