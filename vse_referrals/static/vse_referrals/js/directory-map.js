/*
 * Member map: progressive enhancement of the SVG rendered by vse_referrals/world_map.py.
 * Vanilla JS, no library, no network. Without it the map is a set of plain links.
 *
 * What it adds to every <svg class="vse-map">:
 * - "Europe" / "World" buttons, CREATED HERE (labels from the SVG's data-label-* attributes,
 *   translated on the server) and inserted just before the SVG; they switch the viewBox
 *   between data-viewbox-europe and data-viewbox-world and set data-view on the SVG.
 *   The server renders the World view when the selected area lies outside Europe.
 * - A label near the area on hover (at the pointer) and on keyboard focus (above the area's
 *   data-anchor point), visual only: aria-hidden, as screen readers already get each link's
 *   aria-label; Escape and scrolling dismiss it. Focusing an area that is not in sight (the
 *   United States in the Europe view) switches to the World view. The areas' native <title>
 *   tooltips are removed to avoid a second, delayed tooltip.
 * - An outline of the hovered/focused shape drawn above its neighbours.
 * - Clicking (or Enter on) an area selects it and dispatches a cancelable, bubbling
 *   CustomEvent "vse-map:select" on the SVG, detail = {code, href, label, map}. If a listener
 *   calls preventDefault(), the link is not followed (filter without reload); otherwise the
 *   browser follows the link as usual. Clicks with a modifier key or another button are left
 *   to the browser.
 *
 * A map replaced in the page (same id) keeps the view the user chose and, if the focus was
 * lost, gets it back on the area that was activated with the keyboard. The script re-initialises on the
 * document event "vse-directory:updated" (sent by directory-filters.js after it swaps the
 * results), or call vseDirectoryMap.initAll() yourself.
 *
 * API: window.vseDirectoryMap = {
 *   init(svg)               enhance one map (idempotent; call it on a map inserted later),
 *   initAll(root)           enhance every .vse-map under root (document by default),
 *   select(code, svg)       select an area (null clears) without following its link,
 *   setView(name, svg)      "europe" or "world",
 * }; svg defaults to the first map on the page.
 */
(function () {
  "use strict";

  var tooltip = null;
  // Per map id: the view the user chose, and the area last activated with the keyboard. A map
  // replaced by an in-page update (same id) keeps the view and gets the focus back on that area.
  var chosenView = {};
  var activated = {};

  function getTooltip() {
    if (!tooltip) {
      tooltip = document.createElement("div");
      tooltip.className = "vse-map-tooltip";
      tooltip.setAttribute("aria-hidden", "true");
      tooltip.hidden = true;
      document.body.appendChild(tooltip);
    }
    return tooltip;
  }

  function showTooltip(text, x, y, above) {
    var tip = getTooltip();
    tip.textContent = text;
    tip.hidden = false;
    var w = tip.offsetWidth;
    var h = tip.offsetHeight;
    var vw = document.documentElement.clientWidth;
    var vh = document.documentElement.clientHeight;
    var left = above ? x - w / 2 : x + 14;
    var top = above ? y - h - 8 : y + 18;
    if (top < 4) top = above ? y + 8 : y - h - 10;
    left = Math.max(4, Math.min(left, vw - w - 4));
    top = Math.max(4, Math.min(top, vh - h - 4));
    tip.style.left = left + "px";
    tip.style.top = top + "px";
  }

  // The area's data-anchor (centre of the main landmass or the marker) in client coordinates,
  // with the map's box on screen; null if the map is not rendered.
  function screenAnchor(svg, area) {
    var xy = (area.getAttribute("data-anchor") || "").split(" ").map(Number);
    var matrix = svg.getScreenCTM();
    if (xy.length !== 2 || !matrix) return null;
    return {
      x: matrix.a * xy[0] + matrix.c * xy[1] + matrix.e,
      y: matrix.b * xy[0] + matrix.d * xy[1] + matrix.f,
      box: svg.getBoundingClientRect(),
    };
  }

  // Whether the anchor is in the part of the map on screen (with "slice" a narrow box shows
  // less than the viewBox, so this is measured on the screen).
  function inSight(svg, area) {
    var p = screenAnchor(svg, area);
    return !p || (p.x >= p.box.left && p.x <= p.box.right && p.y >= p.box.top && p.y <= p.box.bottom);
  }

  // Where the area's label points, in client coordinates, kept inside the visible map.
  function anchorPoint(svg, area) {
    var p = screenAnchor(svg, area);
    if (!p) return null;
    return {
      x: Math.max(p.box.left, Math.min(p.x, p.box.right)),
      y: Math.max(p.box.top, Math.min(p.y - 6, p.box.bottom)),
    };
  }

  function hideTooltip() {
    if (tooltip) tooltip.hidden = true;
  }

  function areaOf(target) {
    return target && target.closest ? target.closest("a.vse-map__area") : null;
  }

  function firstMap() {
    return document.querySelector("svg.vse-map");
  }

  function shapeOf(svg, area) {
    var shape = area && svg.querySelector("#" + CSS.escape(area.id + "-shape"));
    return shape && !area.classList.contains("vse-map__area--marker") ? shape : null;
  }

  function overlay(svg, className) {
    var use = svg.querySelector("use." + className);
    if (!use) {
      use = document.createElementNS(svg.namespaceURI, "use");
      use.setAttribute("class", className);
      use.setAttribute("aria-hidden", "true");
      var markers = svg.querySelector(".vse-map__markers");
      svg.insertBefore(use, markers);
    }
    return use;
  }

  function setOverlay(svg, className, area) {
    var shape = shapeOf(svg, area);
    if (shape) {
      overlay(svg, className).setAttribute("href", "#" + shape.id);
    } else {
      var use = svg.querySelector("use." + className);
      if (use) use.parentNode.removeChild(use);
    }
  }

  function setView(name, svg) {
    svg = svg || firstMap();
    if (!svg) return;
    var box = svg.getAttribute("data-viewbox-" + name);
    if (!box) return;
    svg.setAttribute("viewBox", box);
    svg.setAttribute("data-view", name);
    // Europe fills the box (narrow screens crop the sides, see the CSS); the world always fits.
    svg.setAttribute("preserveAspectRatio", name === "world" ? "xMidYMid meet" : "xMidYMid slice");
    var buttons = svg._vseButtons || [];
    for (var i = 0; i < buttons.length; i++) {
      buttons[i].setAttribute("aria-pressed", String(buttons[i].value === name));
    }
    hideTooltip();
  }

  function select(code, svg) {
    svg = svg || firstMap();
    if (!svg) return;
    var previous = svg.querySelectorAll(".vse-map__area--selected");
    for (var i = 0; i < previous.length; i++) {
      previous[i].classList.remove("vse-map__area--selected");
      previous[i].removeAttribute("aria-current");
    }
    var area = code ? svg.querySelector('a.vse-map__area[data-code="' + CSS.escape(code) + '"]') : null;
    if (area) {
      area.classList.add("vse-map__area--selected");
      area.setAttribute("aria-current", "true");
      svg.setAttribute("data-selected", code);
    } else {
      svg.removeAttribute("data-selected");
    }
    setOverlay(svg, "vse-map__outline", area);
  }

  function addControls(svg) {
    var group = document.createElement("div");
    group.className = "vse-map-controls";
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", svg.getAttribute("data-label-zoom") || "Map view");
    var buttons = [];
    ["europe", "world"].forEach(function (name) {
      var button = document.createElement("button");
      button.type = "button";
      button.value = name;
      button.textContent = svg.getAttribute("data-label-" + name) || name;
      button.setAttribute("aria-controls", svg.id);
      button.setAttribute("aria-pressed", String(svg.getAttribute("data-view") === name));
      button.addEventListener("click", function () {
        chosenView[svg.id] = name;
        setView(name, svg);
      });
      group.appendChild(button);
      buttons.push(button);
    });
    svg._vseButtons = buttons;
    svg.parentNode.insertBefore(group, svg);
  }

  function init(svg) {
    if (!svg || svg.getAttribute("data-enhanced") === "true") return;
    svg.setAttribute("data-enhanced", "true");

    // Our label replaces the native <title> tooltips of the areas (aria-label stays).
    var titles = svg.querySelectorAll("a.vse-map__area > title");
    for (var i = 0; i < titles.length; i++) titles[i].parentNode.removeChild(titles[i]);

    addControls(svg);

    // The server renders the World view when the selected area lies outside Europe; otherwise
    // the view the user chose before an in-page update is kept.
    if (svg.getAttribute("data-view") !== "world" && chosenView[svg.id]) setView(chosenView[svg.id], svg);

    // Replaced by an in-page update while one of its areas had the focus: give it back.
    var focused = document.activeElement;
    if (activated[svg.id] && (!focused || focused === document.body)) {
      var again = svg.querySelector('a.vse-map__area[data-code="' + CSS.escape(activated[svg.id]) + '"]');
      if (again) again.focus({ preventScroll: true });
    }
    delete activated[svg.id];

    svg.addEventListener("mouseover", function (event) {
      var area = areaOf(event.target);
      if (!area) return;
      setOverlay(svg, "vse-map__hover", area);
      showTooltip(area.getAttribute("aria-label"), event.clientX, event.clientY, false);
    });
    svg.addEventListener("mousemove", function (event) {
      var area = areaOf(event.target);
      if (area && tooltip && !tooltip.hidden) {
        showTooltip(area.getAttribute("aria-label"), event.clientX, event.clientY, false);
      }
    });
    svg.addEventListener("mouseout", function (event) {
      var area = areaOf(event.target);
      if (area && area.contains(event.relatedTarget)) return;
      if (area) {
        setOverlay(svg, "vse-map__hover", svg.querySelector("a.vse-map__area:focus"));
        hideTooltip();
      }
    });
    svg.addEventListener("click", function (event) {
      var area = areaOf(event.target);
      if (!area || event.defaultPrevented) return;
      if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
      var code = area.getAttribute("data-code");
      // detail 0: activated with the keyboard (Enter), whose user must not lose their place.
      if (event.detail === 0) activated[svg.id] = code;
      select(code, svg);
      hideTooltip();
      var selectEvent = new CustomEvent("vse-map:select", {
        bubbles: true,
        cancelable: true,
        detail: { code: code, href: area.getAttribute("href"), label: area.getAttribute("aria-label"), map: svg },
      });
      if (!svg.dispatchEvent(selectEvent)) event.preventDefault();
    });
  }

  function initAll(root) {
    var maps = (root || document).querySelectorAll("svg.vse-map");
    for (var i = 0; i < maps.length; i++) init(maps[i]);
  }

  // Focus listeners live on the document: Chromium makes an <svg> with focus listeners a tab stop.
  function enhancedArea(target) {
    var area = areaOf(target);
    var svg = area && area.closest("svg.vse-map");
    return svg && svg.getAttribute("data-enhanced") === "true" ? { area: area, svg: svg } : null;
  }
  document.addEventListener("focusin", function (event) {
    var found = enhancedArea(event.target);
    if (!found) return;
    // A keyboard user reaching an area outside the visible part of the map (the United States
    // in the Europe view) must see where the focus is: show the whole world.
    if (!inSight(found.svg, found.area)) setView("world", found.svg);
    setOverlay(found.svg, "vse-map__hover", found.area);
    var point = anchorPoint(found.svg, found.area);
    if (point) showTooltip(found.area.getAttribute("aria-label"), point.x, point.y, true);
  });
  document.addEventListener("focusout", function (event) {
    var found = enhancedArea(event.target);
    if (!found) return;
    setOverlay(found.svg, "vse-map__hover", null);
    hideTooltip();
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") hideTooltip();
  });
  // The label is placed on the screen, not on the map: it goes when anything scrolls.
  window.addEventListener("scroll", hideTooltip, { passive: true, capture: true });
  // The directory's filter script swaps the results (map included) and then says so.
  document.addEventListener("vse-directory:updated", function () {
    hideTooltip();
    initAll(document);
  });

  window.vseDirectoryMap = { init: init, initAll: initAll, select: select, setView: setView };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () {
      initAll(document);
    });
  } else {
    initAll(document);
  }
})();
